# fitlaws: Fig. 5 / 7 left analogue
# Data in fig5_pred.dat (blocks addressed by 'index'). Redraw: gnuplot fig5_pred.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 500,460
set output 'fig5_pred.png'
set label 999 "quest_eff_free: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,1 title 'Predicted vs actual'
set title 'quest\_eff\_free (R^2 = 0.9289, log targets)'
set xlabel 'measured loss (nats/token)'
set ylabel 'predicted loss (nats/token)'
unset logscale
set format xy '%g'
set xrange [3.98286:6.89241]
set yrange [3.98286:6.89241]
set size ratio -1
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#0072B2' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 500,460
set output 'fig5_pred.svg'
set label 999 "quest_eff_free: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 1,1 title 'Predicted vs actual'
set title 'quest\_eff\_free (R^2 = 0.9289, log targets)'
set xlabel 'measured loss (nats/token)'
set ylabel 'predicted loss (nats/token)'
unset logscale
set format xy '%g'
set xrange [3.98286:6.89241]
set yrange [3.98286:6.89241]
set size ratio -1
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#0072B2' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output
