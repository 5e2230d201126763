# fitlaws: Fig. 6 analogue
# Data in fig6_compute.dat (blocks addressed by 'index'). Redraw: gnuplot fig6_compute.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 980,420
set output 'fig6_compute.png'
set label 999 "neff\_joint\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Compute-optimal precision (tied P_w = P_a = P_kv, C = (6/16) N D P; from neff\_joint\_off)'
set title 'Predicted loss of compute-matched models (D = 1.61e+07)'
set xlabel 'P (bits)'
set ylabel 'loss'
plot 'fig6_compute.dat' index 0 using 1:2 with lines lw 2 lc rgb '#1b9e77' title 'C = 1.9e+13', 'fig6_compute.dat' index 1 using 1:2 with lines lw 2 lc rgb '#d95f02' title 'C = 7.8e+13', 'fig6_compute.dat' index 2 using 1:2 with lines lw 2 lc rgb '#7570b3' title 'C = 3.1e+14'
set title 'Optimal precision at fixed N grows with data'
set key top left
set logscale x
set xlabel 'D (tokens)'
set ylabel 'P* (bits)'
plot 'fig6_compute.dat' index 3 using 3:2 with lines lw 2 lc rgb '#1b9e77' title 'N = 1.07e+05', 'fig6_compute.dat' index 4 using 3:2 with lines lw 2 lc rgb '#d95f02' title 'N = 3.32e+05', 'fig6_compute.dat' index 5 using 3:2 with lines lw 2 lc rgb '#7570b3' title 'N = 8.04e+05', 'fig6_compute.dat' index 6 using 3:2 with lines lw 2 lc rgb '#e7298a' title 'N = 1.77e+06'
unset logscale x
unset multiplot
set output

set terminal svg enhanced dynamic size 980,420
set output 'fig6_compute.svg'
set label 999 "neff\_joint\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Compute-optimal precision (tied P_w = P_a = P_kv, C = (6/16) N D P; from neff\_joint\_off)'
set title 'Predicted loss of compute-matched models (D = 1.61e+07)'
set xlabel 'P (bits)'
set ylabel 'loss'
plot 'fig6_compute.dat' index 0 using 1:2 with lines lw 2 lc rgb '#1b9e77' title 'C = 1.9e+13', 'fig6_compute.dat' index 1 using 1:2 with lines lw 2 lc rgb '#d95f02' title 'C = 7.8e+13', 'fig6_compute.dat' index 2 using 1:2 with lines lw 2 lc rgb '#7570b3' title 'C = 3.1e+14'
set title 'Optimal precision at fixed N grows with data'
set key top left
set logscale x
set xlabel 'D (tokens)'
set ylabel 'P* (bits)'
plot 'fig6_compute.dat' index 3 using 3:2 with lines lw 2 lc rgb '#1b9e77' title 'N = 1.07e+05', 'fig6_compute.dat' index 4 using 3:2 with lines lw 2 lc rgb '#d95f02' title 'N = 3.32e+05', 'fig6_compute.dat' index 5 using 3:2 with lines lw 2 lc rgb '#7570b3' title 'N = 8.04e+05', 'fig6_compute.dat' index 6 using 3:2 with lines lw 2 lc rgb '#e7298a' title 'N = 1.77e+06'
unset logscale x
unset multiplot
set output
