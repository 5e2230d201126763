# fitlaws: training curves
# Data in fig_curves.dat (blocks addressed by 'index'). Redraw: gnuplot fig_curves.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 2390,700
set output 'fig_curves.png'
set multiplot layout 2,6 margins 0.0293,0.9038,0.08,0.88 spacing 0.0368,0.15 title 'Training curves: validation loss (top) and training loss (bottom), one line per run; 6 of the sizes'
set logscale x
set xlabel 'training tokens (log scale)'
set xrange [7123.48:1.10402e+08]
set xtics ("10k" 10000, "100k" 100000, "1M" 1000000, "10M" 10000000, "100M" 100000000)
set title 'N = 2.68e+04'
set ylabel 'validation loss (nats/token)'
set key at screen 0.9088, screen 0.86 left top Left reverse samplen 3 title 'training precision' font ',9'
plot 'fig_curves.dat' index 10 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 16 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 34 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 48 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 64 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 title 'fp32', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 title 'int W4A4KV4', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 title 'int W6A6KV6', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 title 'int W8A8KV8'
set title 'N = 5.55e+04'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 6 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 14 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 30 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 44 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 52 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 60 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 68 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.07e+05'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 4 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 12 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 18 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 28 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 36 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 42 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 50 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 58 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 66 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 8.04e+05'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 0 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 8 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 22 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 32 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 38 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 46 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 54 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 62 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.77e+06'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 2 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 20 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 26 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 40 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 56 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 3.21e+06'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 24 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle
set title 'N = 2.68e+04'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 11 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 17 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 35 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 49 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 65 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 5.55e+04'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 7 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 15 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 31 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 45 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 53 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 61 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 69 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.07e+05'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 5 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 13 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 19 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 29 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 37 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 43 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 51 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 59 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 67 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 8.04e+05'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 1 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 9 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 23 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 33 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 39 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 47 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 55 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 63 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.77e+06'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 3 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 21 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 27 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 41 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 57 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 3.21e+06'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 25 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 2390,700
set output 'fig_curves.svg'
set multiplot layout 2,6 margins 0.0293,0.9038,0.08,0.88 spacing 0.0368,0.15 title 'Training curves: validation loss (top) and training loss (bottom), one line per run; 6 of the sizes'
set logscale x
set xlabel 'training tokens (log scale)'
set xrange [7123.48:1.10402e+08]
set xtics ("10k" 10000, "100k" 100000, "1M" 1000000, "10M" 10000000, "100M" 100000000)
set title 'N = 2.68e+04'
set ylabel 'validation loss (nats/token)'
set key at screen 0.9088, screen 0.86 left top Left reverse samplen 3 title 'training precision' font ',9'
plot 'fig_curves.dat' index 10 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 16 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 34 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 48 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 64 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 title 'fp32', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 title 'int W4A4KV4', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 title 'int W6A6KV6', NaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 title 'int W8A8KV8'
set title 'N = 5.55e+04'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 6 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 14 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 30 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 44 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 52 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 60 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 68 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.07e+05'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 4 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 12 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 18 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 28 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 36 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 42 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 50 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 58 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 66 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 8.04e+05'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 0 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 8 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 22 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 32 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 38 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 46 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 54 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 62 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.77e+06'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 2 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 20 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 26 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 40 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 56 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#009E73' dt 1 notitle
set title 'N = 3.21e+06'
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig_curves.dat' index 24 using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '#0072B2' dt 1 notitle
set title 'N = 2.68e+04'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 11 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 17 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 35 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 49 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 65 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 5.55e+04'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 7 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 15 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 31 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 45 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 53 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 61 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 69 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.07e+05'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 5 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 13 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 19 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 29 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 37 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 43 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 51 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 59 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 67 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 8.04e+05'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 1 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 9 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 23 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 33 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 39 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 47 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 55 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle, 'fig_curves.dat' index 63 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 1.77e+06'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 3 using 1:2 with lines lw 1 lc rgb '#000000' dt 1 notitle, 'fig_curves.dat' index 21 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 27 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, 'fig_curves.dat' index 41 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, 'fig_curves.dat' index 57 using 1:2 with lines lw 1 lc rgb '#009E73' dt 1 notitle
set title 'N = 3.21e+06'
set ylabel 'training loss (nats/token)'
unset key
plot 'fig_curves.dat' index 25 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle
unset multiplot
set output
