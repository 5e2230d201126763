# fitlaws: Fig. 6 analogue
# Data in fig6_compute.dat (blocks addressed by 'index'). Redraw: gnuplot fig6_compute.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 980,420
set output 'fig6_compute.png'
set label 999 "neff_joint_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,2 title 'Compute-optimal precision (tied P_w = P_a = P_{kv}, C = (6/16) N D P FLOPs; from neff\_joint\_off)'
set title 'Predicted loss of compute-matched models (D = 2.14e+06)'
set xlabel 'tied training precision P (bits)'
set ylabel 'predicted loss (nats/token)'
plot 'fig6_compute.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072B2' title 'C = 3.4e+11 FLOPs', 'fig6_compute.dat' index 1 using 1:2 with lines lw 2 lc rgb '#D55E00' title 'C = 1.4e+12 FLOPs', 'fig6_compute.dat' index 2 using 1:2 with lines lw 2 lc rgb '#009E73' title 'C = 5.5e+12 FLOPs'
set title 'Optimal precision at fixed N grows with data'
set key top left
set logscale x
set format x '10^{%T}'
set rmargin 4
set xlabel 'D (training tokens, log scale)'
set ylabel 'compute-optimal P* (bits)'
plot 'fig6_compute.dat' index 3 using 3:2 with lines lw 2 lc rgb '#0072B2' title 'N = 2.68e+04', 'fig6_compute.dat' index 4 using 3:2 with lines lw 2 lc rgb '#D55E00' title 'N = 5.55e+04', 'fig6_compute.dat' index 5 using 3:2 with lines lw 2 lc rgb '#009E73' title 'N = 1.07e+05', 'fig6_compute.dat' index 6 using 3:2 with lines lw 2 lc rgb '#CC79A7' title 'N = 3.32e+05'
unset logscale x
unset multiplot
set output

set terminal svg enhanced dynamic size 980,420
set output 'fig6_compute.svg'
set label 999 "neff_joint_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,2 title 'Compute-optimal precision (tied P_w = P_a = P_{kv}, C = (6/16) N D P FLOPs; from neff\_joint\_off)'
set title 'Predicted loss of compute-matched models (D = 2.14e+06)'
set xlabel 'tied training precision P (bits)'
set ylabel 'predicted loss (nats/token)'
plot 'fig6_compute.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072B2' title 'C = 3.4e+11 FLOPs', 'fig6_compute.dat' index 1 using 1:2 with lines lw 2 lc rgb '#D55E00' title 'C = 1.4e+12 FLOPs', 'fig6_compute.dat' index 2 using 1:2 with lines lw 2 lc rgb '#009E73' title 'C = 5.5e+12 FLOPs'
set title 'Optimal precision at fixed N grows with data'
set key top left
set logscale x
set format x '10^{%T}'
set rmargin 4
set xlabel 'D (training tokens, log scale)'
set ylabel 'compute-optimal P* (bits)'
plot 'fig6_compute.dat' index 3 using 3:2 with lines lw 2 lc rgb '#0072B2' title 'N = 2.68e+04', 'fig6_compute.dat' index 4 using 3:2 with lines lw 2 lc rgb '#D55E00' title 'N = 5.55e+04', 'fig6_compute.dat' index 5 using 3:2 with lines lw 2 lc rgb '#009E73' title 'N = 1.07e+05', 'fig6_compute.dat' index 6 using 3:2 with lines lw 2 lc rgb '#CC79A7' title 'N = 3.32e+05'
unset logscale x
unset multiplot
set output
