# fitlaws: Fig. 3 centre/right analogue
# Data in fig3_isoloss.dat (blocks addressed by 'index'). Redraw: gnuplot fig3_isoloss.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 760,520
set output 'fig3_isoloss.png'
set label 999 "neff_w: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set style textbox opaque noborder margins 1,1
set view map
set contour base
set cntrparam levels discrete 6.28,6.31,6.339,6.369,6.398,6.427,6.457
set cntrlabel format '%.3f' font ',8' start 15 interval 120
set logscale x
set xlabel 'N (non-embedding parameters, log scale)'
set ylabel 'P_w (bits; top edge: unquantized)'
set yrange [2:16.5]
set xrange [13392:213632]
unset key
set title 'Iso-loss contours of validation loss (nats/token) at D = 5.24e+05: law neff\_w (lines), runs (black points)'
set xtics ("20k" 20000, "50k" 50000, "100k" 100000, "200k" 200000)
splot 'fig3_isoloss.dat' index 0 using 1:2:3 with lines lw 1.5 nosurface notitle, 'fig3_isoloss.dat' index 0 using 1:2:3 with labels tc rgb '#333333' notitle, 'fig3_isoloss.dat' index 1 using 1:2:3 with points pt 7 ps 1.2 lc rgb '#000000' nocontours notitle, 'fig3_isoloss.dat' index 1 using 1:2:3:(sprintf('%.3f', $3)) with labels boxed offset 0,1 font ',8' nocontours notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 760,520
set output 'fig3_isoloss.svg'
set label 999 "neff_w: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set style textbox opaque noborder margins 1,1
set view map
set contour base
set cntrparam levels discrete 6.28,6.31,6.339,6.369,6.398,6.427,6.457
set cntrlabel format '%.3f' font ',8' start 15 interval 120
set logscale x
set xlabel 'N (non-embedding parameters, log scale)'
set ylabel 'P_w (bits; top edge: unquantized)'
set yrange [2:16.5]
set xrange [13392:213632]
unset key
set title 'Iso-loss contours of validation loss (nats/token) at D = 5.24e+05: law neff\_w (lines), runs (black points)'
set xtics ("20k" 20000, "50k" 50000, "100k" 100000, "200k" 200000)
splot 'fig3_isoloss.dat' index 0 using 1:2:3 with lines lw 1.5 nosurface notitle, 'fig3_isoloss.dat' index 0 using 1:2:3 with labels tc rgb '#333333' notitle, 'fig3_isoloss.dat' index 1 using 1:2:3 with points pt 7 ps 1.2 lc rgb '#000000' nocontours notitle, 'fig3_isoloss.dat' index 1 using 1:2:3:(sprintf('%.3f', $3)) with labels boxed offset 0,1 font ',8' nocontours notitle
unset multiplot
set output
