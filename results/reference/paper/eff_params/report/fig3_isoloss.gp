# fitlaws: Fig. 3 centre/right analogue
# Data in fig3_isoloss.dat (blocks addressed by 'index'). Redraw: gnuplot fig3_isoloss.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 760,520
set output 'fig3_isoloss.png'
set label 999 "neff\_w\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set view map
set contour base
set cntrparam levels discrete 3.966,4.346,4.726,5.106,5.487,5.867,6.247
set cntrlabel format '%.3f' font ',8' start 10 interval 60
set logscale x
set format x '%.0t{/Symbol \327}10^{%T}'
set xlabel 'N (non-embedding parameters)'
set ylabel 'P_w (bits; top edge: unquantized)'
set yrange [2:16.5]
set xrange [53408:3.5424e+06]
set key outside right
set title 'Iso-loss contours over N and P_w at D/N = 20: law neff\_w\_off (lines), runs (points)'
splot 'fig3_isoloss.dat' index 0 using 1:2:3 with lines lw 1.5 nosurface notitle, 'fig3_isoloss.dat' index 0 using 1:2:3 with labels notitle, 'fig3_isoloss.dat' index 1 using 1:2:3 with points pt 7 ps 1.2 lc rgb '#000000' nocontours title 'measured', 'fig3_isoloss.dat' index 1 using 1:2:3:(sprintf('%.3f', $3)) with labels offset 0,0.9 font ',8' nocontours notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 760,520
set output 'fig3_isoloss.svg'
set label 999 "neff\_w\_off: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0.012 center front tc rgb '#c00000' font ',9'
set bmargin 4
set view map
set contour base
set cntrparam levels discrete 3.966,4.346,4.726,5.106,5.487,5.867,6.247
set cntrlabel format '%.3f' font ',8' start 10 interval 60
set logscale x
set format x '%.0t{/Symbol \327}10^{%T}'
set xlabel 'N (non-embedding parameters)'
set ylabel 'P_w (bits; top edge: unquantized)'
set yrange [2:16.5]
set xrange [53408:3.5424e+06]
set key outside right
set title 'Iso-loss contours over N and P_w at D/N = 20: law neff\_w\_off (lines), runs (points)'
splot 'fig3_isoloss.dat' index 0 using 1:2:3 with lines lw 1.5 nosurface notitle, 'fig3_isoloss.dat' index 0 using 1:2:3 with labels notitle, 'fig3_isoloss.dat' index 1 using 1:2:3 with points pt 7 ps 1.2 lc rgb '#000000' nocontours title 'measured', 'fig3_isoloss.dat' index 1 using 1:2:3:(sprintf('%.3f', $3)) with labels offset 0,0.9 font ',8' nocontours notitle
unset multiplot
set output
