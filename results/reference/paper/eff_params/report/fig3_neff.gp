# fitlaws: Fig. 3 left analogue
# Data in fig3_neff.dat (blocks addressed by 'index'). Redraw: gnuplot fig3_neff.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 640,480
set output 'fig3_neff.png'
set label 999 "neff\_joint\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set title 'Effective parameters: N_{eff}/N vs training precision'
set xlabel 'bits'
set ylabel 'N_{eff} / N'
set yrange [0:1.05]
set key bottom right
plot 'fig3_neff.dat' index 0 using 1:2 with lines lw 2 lc rgb '#1b9e77' title 'weights (neff\_joint\_off)', 'fig3_neff.dat' index 1 using 1:2 with lines lw 2 lc rgb '#d95f02' title 'activations (neff\_joint\_off)', 'fig3_neff.dat' index 2 using 1:2 with lines lw 2 lc rgb '#7570b3' title 'KV cache (neff\_joint\_off)', 'fig3_neff.dat' index 3 using 1:2 with lines lw 2 dt 2 lc rgb '#000000' title 'all tied'
unset multiplot
set output

set terminal svg enhanced dynamic size 640,480
set output 'fig3_neff.svg'
set label 999 "neff\_joint\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set title 'Effective parameters: N_{eff}/N vs training precision'
set xlabel 'bits'
set ylabel 'N_{eff} / N'
set yrange [0:1.05]
set key bottom right
plot 'fig3_neff.dat' index 0 using 1:2 with lines lw 2 lc rgb '#1b9e77' title 'weights (neff\_joint\_off)', 'fig3_neff.dat' index 1 using 1:2 with lines lw 2 lc rgb '#d95f02' title 'activations (neff\_joint\_off)', 'fig3_neff.dat' index 2 using 1:2 with lines lw 2 lc rgb '#7570b3' title 'KV cache (neff\_joint\_off)', 'fig3_neff.dat' index 3 using 1:2 with lines lw 2 dt 2 lc rgb '#000000' title 'all tied'
unset multiplot
set output
