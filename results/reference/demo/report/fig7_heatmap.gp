# fitlaws: Fig. 7 centre/right analogue
# Data in fig7_heatmap.dat (blocks addressed by 'index'). Redraw: gnuplot fig7_heatmap.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 480,390
set output 'fig7_heatmap.png'
set title '{/Symbol d}_{PTQ} (nats) after PTQ, at N = 2.68e+04, D = 1.05e+06'
set xlabel 'training precision of the weights P_w (bits)'
set ylabel 'PTQ bit width P_{post} (bits)'
set cblabel '{/Symbol d}_{PTQ} (nats, log scale; below 1.3e-05 at the bottom)'
set logscale cb
set cbrange [1.2745e-05:0.00390992]
set format cb '10^{%L}'
set palette defined (0 '#440154', 1 '#482878', 2 '#3E4A89', 3 '#31688E', 4 '#26828E', 5 '#1F9E89', 6 '#35B779', 7 '#6DCD59', 8 '#B4DE2C', 9 '#FDE725')
set xrange [-0.5:1.5]
set yrange [-0.5:3.5]
unset key
set tics out nomirror
set xtics ("3" 0, "32 (unquantized)" 1)
set ytics ("3" 0, "4" 1, "6" 2, "8" 3)
plot 'fig7_heatmap.dat' index 0 using 1:2:(0.5):(0.5):6 with boxxyerror fs solid 1.0 noborder fc palette, '' index 0 using 1:2:(sprintf('%.2g', $5)):7 with labels tc rgb variable font ',9'
unset multiplot
set output

set terminal svg enhanced dynamic size 480,390
set output 'fig7_heatmap.svg'
set title '{/Symbol d}_{PTQ} (nats) after PTQ, at N = 2.68e+04, D = 1.05e+06'
set xlabel 'training precision of the weights P_w (bits)'
set ylabel 'PTQ bit width P_{post} (bits)'
set cblabel '{/Symbol d}_{PTQ} (nats, log scale; below 1.3e-05 at the bottom)'
set logscale cb
set cbrange [1.2745e-05:0.00390992]
set format cb '10^{%L}'
set palette defined (0 '#440154', 1 '#482878', 2 '#3E4A89', 3 '#31688E', 4 '#26828E', 5 '#1F9E89', 6 '#35B779', 7 '#6DCD59', 8 '#B4DE2C', 9 '#FDE725')
set xrange [-0.5:1.5]
set yrange [-0.5:3.5]
unset key
set tics out nomirror
set xtics ("3" 0, "32 (unquantized)" 1)
set ytics ("3" 0, "4" 1, "6" 2, "8" 3)
plot 'fig7_heatmap.dat' index 0 using 1:2:(0.5):(0.5):6 with boxxyerror fs solid 1.0 noborder fc palette, '' index 0 using 1:2:(sprintf('%.2g', $5)):7 with labels tc rgb variable font ',9'
unset multiplot
set output
