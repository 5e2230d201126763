# fitlaws: Fig. 7 centre/right analogue
# Data in fig7_heatmap.dat (blocks addressed by 'index'). Redraw: gnuplot fig7_heatmap.gp
set encoding utf8
set key font ',9'

set terminal pngcairo enhanced font 'Sans,10' size 600,480
set output 'fig7_heatmap.png'
set title '{/Symbol d}_{PTQ} at N = 8.04e+05, D = 1.61e+07'
set xlabel 'training P_w (bits)'
set ylabel 'P_{post} (bits)'
set cblabel '{/Symbol d}_{PTQ}'
set view map
set palette rgbformulae 33,13,10
set offsets 1, 1, 0.5, 0.5
unset key
splot 'fig7_heatmap.dat' index 0 using 1:2:3 with points pt 5 ps 5 palette, '' index 0 using 1:2:3:(sprintf('%.2g',$3)) with labels font ',7' offset 0,1.2
unset multiplot
set output

set terminal svg enhanced dynamic size 600,480
set output 'fig7_heatmap.svg'
set title '{/Symbol d}_{PTQ} at N = 8.04e+05, D = 1.61e+07'
set xlabel 'training P_w (bits)'
set ylabel 'P_{post} (bits)'
set cblabel '{/Symbol d}_{PTQ}'
set view map
set palette rgbformulae 33,13,10
set offsets 1, 1, 0.5, 0.5
unset key
splot 'fig7_heatmap.dat' index 0 using 1:2:3 with points pt 5 ps 5 palette, '' index 0 using 1:2:3:(sprintf('%.2g',$3)) with labels font ',7' offset 0,1.2
unset multiplot
set output
