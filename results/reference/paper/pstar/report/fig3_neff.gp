# fitlaws: Fig. 3 left analogue
# Data in fig3_neff.dat (blocks addressed by 'index'). Redraw: gnuplot fig3_neff.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 640,480
set output 'fig3_neff.png'
set label 999 "neff_joint_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set title 'Effective parameters: N_{eff}/N vs training precision'
set xlabel 'training precision P (bits)'
set ylabel 'N_{eff} / N (fraction of parameters)'
set yrange [0:1.05]
set key bottom right
plot 'fig3_neff.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072B2' title 'weights (neff\_joint\_off)', 'fig3_neff.dat' index 1 using 1:2 with lines lw 2 lc rgb '#D55E00' title 'activations (neff\_joint\_off)', 'fig3_neff.dat' index 2 using 1:2 with lines lw 2 lc rgb '#009E73' title 'KV cache (neff\_joint\_off)', 'fig3_neff.dat' index 3 using 1:2 with lines lw 2 dt 2 lc rgb '#000000' title 'all tied'
unset multiplot
set output

set terminal svg enhanced dynamic size 640,480
set output 'fig3_neff.svg'
set label 999 "neff_joint_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set title 'Effective parameters: N_{eff}/N vs training precision'
set xlabel 'training precision P (bits)'
set ylabel 'N_{eff} / N (fraction of parameters)'
set yrange [0:1.05]
set key bottom right
plot 'fig3_neff.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072B2' title 'weights (neff\_joint\_off)', 'fig3_neff.dat' index 1 using 1:2 with lines lw 2 lc rgb '#D55E00' title 'activations (neff\_joint\_off)', 'fig3_neff.dat' index 2 using 1:2 with lines lw 2 lc rgb '#009E73' title 'KV cache (neff\_joint\_off)', 'fig3_neff.dat' index 3 using 1:2 with lines lw 2 dt 2 lc rgb '#000000' title 'all tied'
unset multiplot
set output
