# fitlaws: Fig. 4 analogue
# Data in fig4_loss_vs_pw.dat (blocks addressed by 'index'). Redraw: gnuplot fig4_loss_vs_pw.gp
set encoding utf8
set key font ',9'
set linetype 1 lc rgb '#0072B2' lw 1
set linetype 2 lc rgb '#D55E00' lw 1
set linetype 3 lc rgb '#009E73' lw 1
set linetype 4 lc rgb '#CC79A7' lw 1
set linetype 5 lc rgb '#E69F00' lw 1
set linetype 6 lc rgb '#56B4E9' lw 1
set linetype 7 lc rgb '#882255' lw 1
set linetype 8 lc rgb '#999999' lw 1

set terminal pngcairo enhanced font 'Sans,10' size 1680,440
set output 'fig4_loss_vs_pw.png'
set label 999 "neff_w_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,4 margins 0.0417,0.8869,0.16,0.86 spacing 0.0476,0.1 title 'Final loss vs training precision of the weights: runs (points), law neff\_w\_off (lines)'
set xlabel 'P_w (bits, log scale; 32: unquantized)'
set ylabel 'validation loss (nats/token)'
set logscale x 2
set xrange [2.67857:35.84]
set offsets 0, 0, graph 0.05, graph 0.05
set xtics (3, 4, 5, 6, 8, 32)
set title 'D/N (rounded) = 20'
set key at screen 0.8940, screen 0.84 left top Left reverse title 'size'
plot NaN with linespoints pt 7 lc rgb '#0072B2' title 'N = 1.07e+05', NaN with linespoints pt 9 lc rgb '#D55E00' title 'N = 3.32e+05', NaN with linespoints pt 11 lc rgb '#009E73' title 'N = 8.04e+05', NaN with linespoints pt 13 lc rgb '#CC79A7' title 'N = 1.77e+06', 'fig4_loss_vs_pw.dat' index 0 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 1 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 2 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 3 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 4 using 1:2 with points pt 11 lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 5 using 1:2 with lines lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 6 using 1:2 with points pt 13 lc rgb '#CC79A7' notitle, 'fig4_loss_vs_pw.dat' index 7 using 1:2 with lines lc rgb '#CC79A7' notitle
set title 'D/N (rounded) = 50'
unset key
plot 'fig4_loss_vs_pw.dat' index 8 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 9 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 10 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 11 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 12 using 1:2 with points pt 11 lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 13 using 1:2 with lines lc rgb '#009E73' notitle
set title 'D/N (rounded) = 100'
unset key
plot 'fig4_loss_vs_pw.dat' index 14 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 15 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 16 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 17 using 1:2 with lines lc rgb '#D55E00' notitle
set title 'D/N (rounded) = 200'
unset key
plot 'fig4_loss_vs_pw.dat' index 18 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 19 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 20 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 21 using 1:2 with lines lc rgb '#D55E00' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 1680,440
set output 'fig4_loss_vs_pw.svg'
set label 999 "neff_w_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,4 margins 0.0417,0.8869,0.16,0.86 spacing 0.0476,0.1 title 'Final loss vs training precision of the weights: runs (points), law neff\_w\_off (lines)'
set xlabel 'P_w (bits, log scale; 32: unquantized)'
set ylabel 'validation loss (nats/token)'
set logscale x 2
set xrange [2.67857:35.84]
set offsets 0, 0, graph 0.05, graph 0.05
set xtics (3, 4, 5, 6, 8, 32)
set title 'D/N (rounded) = 20'
set key at screen 0.8940, screen 0.84 left top Left reverse title 'size'
plot NaN with linespoints pt 7 lc rgb '#0072B2' title 'N = 1.07e+05', NaN with linespoints pt 9 lc rgb '#D55E00' title 'N = 3.32e+05', NaN with linespoints pt 11 lc rgb '#009E73' title 'N = 8.04e+05', NaN with linespoints pt 13 lc rgb '#CC79A7' title 'N = 1.77e+06', 'fig4_loss_vs_pw.dat' index 0 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 1 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 2 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 3 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 4 using 1:2 with points pt 11 lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 5 using 1:2 with lines lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 6 using 1:2 with points pt 13 lc rgb '#CC79A7' notitle, 'fig4_loss_vs_pw.dat' index 7 using 1:2 with lines lc rgb '#CC79A7' notitle
set title 'D/N (rounded) = 50'
unset key
plot 'fig4_loss_vs_pw.dat' index 8 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 9 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 10 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 11 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 12 using 1:2 with points pt 11 lc rgb '#009E73' notitle, 'fig4_loss_vs_pw.dat' index 13 using 1:2 with lines lc rgb '#009E73' notitle
set title 'D/N (rounded) = 100'
unset key
plot 'fig4_loss_vs_pw.dat' index 14 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 15 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 16 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 17 using 1:2 with lines lc rgb '#D55E00' notitle
set title 'D/N (rounded) = 200'
unset key
plot 'fig4_loss_vs_pw.dat' index 18 using 1:2 with points pt 7 lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 19 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig4_loss_vs_pw.dat' index 20 using 1:2 with points pt 9 lc rgb '#D55E00' notitle, 'fig4_loss_vs_pw.dat' index 21 using 1:2 with lines lc rgb '#D55E00' notitle
unset multiplot
set output
