# fitlaws: Fig. 1 left / Fig. 2 analogue
# Data in fig1_ptq.dat (blocks addressed by 'index'). Redraw: gnuplot fig1_ptq.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 1360,640
set output 'fig1_ptq.png'
set label 999 "ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 2,4 title 'Loss after PTQ (top) and {/Symbol d}_{PTQ} (bottom) vs tokens per parameter'
set logscale x
set xlabel 'tokens / parameter'
set title 'N = 1.07e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 0 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 1 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 2 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 3 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 4 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 5 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 3.32e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 11 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 12 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 13 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 14 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 15 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 16 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 8.04e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 22 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 23 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 24 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 25 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 26 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 27 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 1.77e+06'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 33 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 34 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 35 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 36 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 37 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 38 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 1.07e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 0 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 6 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 1 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 7 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 2 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 8 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 3 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 9 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 4 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 10 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 3.32e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 11 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 17 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 12 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 18 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 13 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 19 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 14 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 20 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 15 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 21 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 8.04e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 22 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 28 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 23 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 29 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 24 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 30 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 25 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 31 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 26 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 32 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 1.77e+06'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 33 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 39 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 34 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 40 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 35 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 41 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 36 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 42 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 37 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 43 using 1:2 with lines lc rgb '#66a61e' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 1360,640
set output 'fig1_ptq.svg'
set label 999 "ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 2,4 title 'Loss after PTQ (top) and {/Symbol d}_{PTQ} (bottom) vs tokens per parameter'
set logscale x
set xlabel 'tokens / parameter'
set title 'N = 1.07e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 0 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 1 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 2 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 3 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 4 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 5 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 3.32e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 11 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 12 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 13 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 14 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 15 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 16 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 8.04e+05'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 22 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 23 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 24 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 25 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 26 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 27 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 1.77e+06'
unset logscale y
set ylabel 'validation loss'
plot 'fig1_ptq.dat' index 33 using 1:3 with linespoints lc rgb '#1b9e77' title 'INT2', 'fig1_ptq.dat' index 34 using 1:3 with linespoints lc rgb '#d95f02' title 'INT3', 'fig1_ptq.dat' index 35 using 1:3 with linespoints lc rgb '#7570b3' title 'INT4', 'fig1_ptq.dat' index 36 using 1:3 with linespoints lc rgb '#e7298a' title 'INT5', 'fig1_ptq.dat' index 37 using 1:3 with linespoints lc rgb '#66a61e' title 'INT6', 'fig1_ptq.dat' index 38 using 1:3 with linespoints lc rgb '#000000' title 'no PTQ'
set title 'N = 1.07e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 0 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 6 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 1 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 7 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 2 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 8 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 3 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 9 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 4 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 10 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 3.32e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 11 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 17 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 12 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 18 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 13 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 19 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 14 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 20 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 15 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 21 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 8.04e+05'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 22 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 28 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 23 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 29 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 24 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 30 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 25 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 31 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 26 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 32 using 1:2 with lines lc rgb '#66a61e' notitle
set title 'N = 1.77e+06'
set logscale y
set format y '10^{%L}'
set key top left
set ylabel '{/Symbol d}_{PTQ}'
plot 'fig1_ptq.dat' index 33 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#1b9e77' pt 7 title 'INT2', 'fig1_ptq.dat' index 39 using 1:2 with lines lc rgb '#1b9e77' notitle, 'fig1_ptq.dat' index 34 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#d95f02' pt 7 title 'INT3', 'fig1_ptq.dat' index 40 using 1:2 with lines lc rgb '#d95f02' notitle, 'fig1_ptq.dat' index 35 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#7570b3' pt 7 title 'INT4', 'fig1_ptq.dat' index 41 using 1:2 with lines lc rgb '#7570b3' notitle, 'fig1_ptq.dat' index 36 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#e7298a' pt 7 title 'INT5', 'fig1_ptq.dat' index 42 using 1:2 with lines lc rgb '#e7298a' notitle, 'fig1_ptq.dat' index 37 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#66a61e' pt 7 title 'INT6', 'fig1_ptq.dat' index 43 using 1:2 with lines lc rgb '#66a61e' notitle
unset multiplot
set output
