# fitlaws: Fig. 5 / 7 left analogue
# Data in fig5_pred.dat (blocks addressed by 'index'). Redraw: gnuplot fig5_pred.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 960,460
set output 'fig5_pred.png'
set label 999 "quest\_eff: constants NOT DETERMINED by these runs, curves not a finding; ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Predicted vs actual'
set title 'quest\_eff (R^2 = 0.8920)'
set xlabel 'actual loss'
set ylabel 'predicted'
unset logscale
set xrange [3.89959:7.30254]
set yrange [3.89959:7.30254]
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#1b9e77' notitle, x with lines dt 2 lc rgb '#000000' notitle
set title 'ptq (R^2 = 0.9772)'
set xlabel 'actual {/Symbol d}_{PTQ}'
set ylabel 'predicted'
set logscale xy
set xrange [0.0130624:2.13766]
set yrange [0.0130624:2.13766]
plot 'fig5_pred.dat' index 1 using 1:2 with points pt 7 ps 0.6 lc rgb '#d95f02' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 960,460
set output 'fig5_pred.svg'
set label 999 "quest\_eff: constants NOT DETERMINED by these runs, curves not a finding; ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set multiplot layout 1,2 title 'Predicted vs actual'
set title 'quest\_eff (R^2 = 0.8920)'
set xlabel 'actual loss'
set ylabel 'predicted'
unset logscale
set xrange [3.89959:7.30254]
set yrange [3.89959:7.30254]
plot 'fig5_pred.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#1b9e77' notitle, x with lines dt 2 lc rgb '#000000' notitle
set title 'ptq (R^2 = 0.9772)'
set xlabel 'actual {/Symbol d}_{PTQ}'
set ylabel 'predicted'
set logscale xy
set xrange [0.0130624:2.13766]
set yrange [0.0130624:2.13766]
plot 'fig5_pred.dat' index 1 using 1:2 with points pt 7 ps 0.6 lc rgb '#d95f02' notitle, x with lines dt 2 lc rgb '#000000' notitle
unset multiplot
set output
