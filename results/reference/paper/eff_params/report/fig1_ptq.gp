# fitlaws: Fig. 1 left / Fig. 2 analogue
# Data in fig1_ptq.dat (blocks addressed by 'index'). Redraw: gnuplot fig1_ptq.gp
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

set terminal pngcairo enhanced font 'Sans,10' size 1510,640
set output 'fig1_ptq.png'
set label 999 "ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 2,4 margins 0.0464,0.8940,0.1,0.88 spacing 0.0497,0.14 title 'Loss after PTQ (top) and {/Symbol d}_{PTQ} (bottom) vs tokens per parameter; bottom: points measured, lines the ptq law'
set logscale x
set xlabel 'training tokens / parameter (log scale)'
set xrange [16:750]
set xtics ("20" 20, "50" 50, "100" 100, "200" 200, "500" 500)
set title 'N = 1.07e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
set key at screen 0.9007, screen 0.86 left top Left reverse title 'P_{post}'
plot 'fig1_ptq.dat' index 5 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 0 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 1 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 2 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 3 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 4 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 3.32e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 16 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 11 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 12 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 13 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 14 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 15 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 8.04e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 27 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 22 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 23 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 24 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 25 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 26 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 1.77e+06'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 38 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 33 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 34 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 35 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 36 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 37 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 1.07e+05 (6 with {/Symbol d} <= 0 not drawn)'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 0 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 6 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 1 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 7 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 2 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 8 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 3 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 9 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 4 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 10 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 3.32e+05 (1 with {/Symbol d} <= 0 not drawn)'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 11 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 17 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 12 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 18 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 13 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 19 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 14 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 20 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 15 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 21 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 8.04e+05'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 22 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 28 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 23 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 29 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 24 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 30 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 25 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 31 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 26 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 32 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 1.77e+06'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 33 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 39 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 34 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 40 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 35 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 41 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 36 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 42 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 37 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 43 using 1:2 with lines lc rgb '#E69F00' notitle
unset multiplot
set output

set terminal svg enhanced dynamic size 1510,640
set output 'fig1_ptq.svg'
set label 999 "ptq: constants NOT DETERMINED by these runs, curves not a finding" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb '#c00000' font ',9' noenhanced
set bmargin 4
set multiplot layout 2,4 margins 0.0464,0.8940,0.1,0.88 spacing 0.0497,0.14 title 'Loss after PTQ (top) and {/Symbol d}_{PTQ} (bottom) vs tokens per parameter; bottom: points measured, lines the ptq law'
set logscale x
set xlabel 'training tokens / parameter (log scale)'
set xrange [16:750]
set xtics ("20" 20, "50" 50, "100" 100, "200" 200, "500" 500)
set title 'N = 1.07e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
set key at screen 0.9007, screen 0.86 left top Left reverse title 'P_{post}'
plot 'fig1_ptq.dat' index 5 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 0 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 1 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 2 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 3 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 4 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 3.32e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 16 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 11 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 12 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 13 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 14 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 15 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 8.04e+05'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 27 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 22 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 23 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 24 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 25 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 26 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 1.77e+06'
unset logscale y
set ylabel 'validation loss (nats/token)'
unset key
plot 'fig1_ptq.dat' index 38 using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' title 'no PTQ', 'fig1_ptq.dat' index 33 using 1:3 with linespoints lw 1.2 pt 4 dt 1 lc rgb '#0072B2' title 'INT2', 'fig1_ptq.dat' index 34 using 1:3 with linespoints lw 1.2 pt 6 dt 2 lc rgb '#D55E00' title 'INT3', 'fig1_ptq.dat' index 35 using 1:3 with linespoints lw 1.2 pt 8 dt 3 lc rgb '#009E73' title 'INT4', 'fig1_ptq.dat' index 36 using 1:3 with linespoints lw 1.2 pt 10 dt 4 lc rgb '#CC79A7' title 'INT5', 'fig1_ptq.dat' index 37 using 1:3 with linespoints lw 1.2 pt 12 dt 5 lc rgb '#E69F00' title 'INT6'
set title 'N = 1.07e+05 (6 with {/Symbol d} <= 0 not drawn)'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 0 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 6 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 1 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 7 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 2 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 8 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 3 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 9 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 4 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 10 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 3.32e+05 (1 with {/Symbol d} <= 0 not drawn)'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 11 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 17 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 12 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 18 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 13 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 19 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 14 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 20 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 15 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 21 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 8.04e+05'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 22 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 28 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 23 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 29 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 24 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 30 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 25 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 31 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 26 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 32 using 1:2 with lines lc rgb '#E69F00' notitle
set title 'N = 1.77e+06'
set logscale y
set format y '10^{%L}'
unset key
set ylabel '{/Symbol d}_{PTQ} (nats)'
plot 'fig1_ptq.dat' index 33 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#0072B2' pt 5 notitle, 'fig1_ptq.dat' index 39 using 1:2 with lines lc rgb '#0072B2' notitle, 'fig1_ptq.dat' index 34 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#D55E00' pt 7 notitle, 'fig1_ptq.dat' index 40 using 1:2 with lines lc rgb '#D55E00' notitle, 'fig1_ptq.dat' index 35 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#009E73' pt 9 notitle, 'fig1_ptq.dat' index 41 using 1:2 with lines lc rgb '#009E73' notitle, 'fig1_ptq.dat' index 36 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#CC79A7' pt 11 notitle, 'fig1_ptq.dat' index 42 using 1:2 with lines lc rgb '#CC79A7' notitle, 'fig1_ptq.dat' index 37 using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '#E69F00' pt 13 notitle, 'fig1_ptq.dat' index 43 using 1:2 with lines lc rgb '#E69F00' notitle
unset multiplot
set output
