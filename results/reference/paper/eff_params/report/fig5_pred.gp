# fitlaws: Fig. 5 / 7 left analogue
# Data in fig5_pred.dat (blocks addressed by 'index'). Redraw: gnuplot fig5_pred.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 960,460
set output 'fig5_pred.png'
set label 999 "unified\_loss: constants NOT DETERMINED by these runs, curves not a finding; unified: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Predicted vs actual'
set title 'unified\_loss (R^2 = 0.9650)'
set xlabel 'actual loss'
set ylabel 'predicted'
unset logscale
set xrange [3.88641:6.37725]
set yrange [3.88641:6.37725]
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#1b9e77' notitle, x with lines dt 2 lc rgb '#000000' notitle
set title 'unified (R^2 = 0.9859)'
set xlabel 'actual {/Symbol d}_{PTQ}'
set ylabel 'predicted'
set logscale xy
set xrange [0.0123083:2.13766]
set yrange [0.0123083:2.13766]
plot 'fig5_pred.dat' index 1 using 1:2 with points pt 7 ps 0.6 lc rgb '#d95f02' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 960,460
set output 'fig5_pred.svg'
set label 999 "unified\_loss: constants NOT DETERMINED by these runs, curves not a finding; unified: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Predicted vs actual'
set title 'unified\_loss (R^2 = 0.9650)'
set xlabel 'actual loss'
set ylabel 'predicted'
unset logscale
set xrange [3.88641:6.37725]
set yrange [3.88641:6.37725]
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#1b9e77' notitle, x with lines dt 2 lc rgb '#000000' notitle
set title 'unified (R^2 = 0.9859)'
set xlabel 'actual {/Symbol d}_{PTQ}'
set ylabel 'predicted'
set logscale xy
set xrange [0.0123083:2.13766]
set yrange [0.0123083:2.13766]
plot 'fig5_pred.dat' index 1 using 1:2 with points pt 7 ps 0.6 lc rgb '#d95f02' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output
