# fitlaws: Fig. 4 analogue
# Data in fig4_loss_vs_pw.dat (blocks addressed by 'index'). Redraw: gnuplot fig4_loss_vs_pw.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 1500,420
set output 'fig4_loss_vs_pw.png'
set label 999 "neff\_w\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,4 title 'Final loss vs training precision of the weights'
set xlabel 'P_w (bits)'
set ylabel 'validation loss'
set title 'D/N (rounded) = 20'
plot 'fig4_loss_vs_pw.dat' index 0 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 1 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 2 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 3 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig4_loss_vs_pw.dat' index 4 using 1:2 with points pt 7 lc rgb '#7570b3' title 'N=8.04e+05', 'fig4_loss_vs_pw.dat' index 5 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig4_loss_vs_pw.dat' index 6 using 1:2 with points pt 7 lc rgb '#e7298a' title 'N=1.77e+06', 'fig4_loss_vs_pw.dat' index 7 using 1:2 with lines lc rgb '#e7298a' notitle
set title 'D/N (rounded) = 50'
plot 'fig4_loss_vs_pw.dat' index 8 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 9 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 10 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 11 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig4_loss_vs_pw.dat' index 12 using 1:2 with points pt 7 lc rgb '#7570b3' title 'N=8.04e+05', 'fig4_loss_vs_pw.dat' index 13 using 1:2 with lines lc rgb '#7570b3' notitle
set title 'D/N (rounded) = 100'
plot 'fig4_loss_vs_pw.dat' index 14 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 15 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 16 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 17 using 1:2 with lines lc rgb '#d95f02' notitle
set title 'D/N (rounded) = 200'
plot 'fig4_loss_vs_pw.dat' index 18 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 19 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 20 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 21 using 1:2 with lines lc rgb '#d95f02' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 1500,420
set output 'fig4_loss_vs_pw.svg'
set label 999 "neff\_w\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,4 title 'Final loss vs training precision of the weights'
set xlabel 'P_w (bits)'
set ylabel 'validation loss'
set title 'D/N (rounded) = 20'
plot 'fig4_loss_vs_pw.dat' index 0 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 1 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 2 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 3 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig4_loss_vs_pw.dat' index 4 using 1:2 with points pt 7 lc rgb '#7570b3' title 'N=8.04e+05', 'fig4_loss_vs_pw.dat' index 5 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig4_loss_vs_pw.dat' index 6 using 1:2 with points pt 7 lc rgb '#e7298a' title 'N=1.77e+06', 'fig4_loss_vs_pw.dat' index 7 using 1:2 with lines lc rgb '#e7298a' notitle
set title 'D/N (rounded) = 50'
plot 'fig4_loss_vs_pw.dat' index 8 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 9 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 10 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 11 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig4_loss_vs_pw.dat' index 12 using 1:2 with points pt 7 lc rgb '#7570b3' title 'N=8.04e+05', 'fig4_loss_vs_pw.dat' index 13 using 1:2 with lines lc rgb '#7570b3' notitle
set title 'D/N (rounded) = 100'
plot 'fig4_loss_vs_pw.dat' index 14 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 15 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 16 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 17 using 1:2 with lines lc rgb '#d95f02' notitle
set title 'D/N (rounded) = 200'
plot 'fig4_loss_vs_pw.dat' index 18 using 1:2 with points pt 7 lc rgb '#1b9e77' title 'N=1.07e+05', 'fig4_loss_vs_pw.dat' index 19 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig4_loss_vs_pw.dat' index 20 using 1:2 with points pt 7 lc rgb '#d95f02' title 'N=3.32e+05', 'fig4_loss_vs_pw.dat' index 21 using 1:2 with lines lc rgb '#d95f02' notitle
unset multiplot
set output
