# measured iso-compute curves (scripts/pstar_table.py --plot); open circles: the best size of each precision
set encoding utf8
set datafile separator whitespace
set logscale x
set format x '10^{%L}'
set xlabel 'non-embedding parameters N'
set ylabel 'final validation loss (nats/token)'
set grid lc rgb '#dddddd'
set key top left box opaque samplen 2
set multiplot layout 1,3 title 'Compute-matched runs: C = (P/16) 6ND, tied W = A = KV precision P (fp32 counted as 16); open circles: the best size of each precision'
set title 'C = 3e+12'
plot 'isocompute.dat' using (($1 == 0 && $3 == 4) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#D55E00' title 'INT4', \
     'isocompute.dat' using (($1 == 0 && $3 == 4 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#D55E00' notitle, \
     'isocompute.dat' using (($1 == 0 && $3 == 6) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#0072B2' title 'INT6', \
     'isocompute.dat' using (($1 == 0 && $3 == 6 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#0072B2' notitle, \
     'isocompute.dat' using (($1 == 0 && $3 == 8) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#009E73' title 'INT8', \
     'isocompute.dat' using (($1 == 0 && $3 == 8 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#009E73' notitle, \
     'isocompute.dat' using (($1 == 0 && $3 == 16) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#000000' title 'fp32 (as 16)', \
     'isocompute.dat' using (($1 == 0 && $3 == 16 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#000000' notitle
set title 'C = 1.2e+13'
unset key
plot 'isocompute.dat' using (($1 == 1 && $3 == 4) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#D55E00' title 'INT4', \
     'isocompute.dat' using (($1 == 1 && $3 == 4 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#D55E00' notitle, \
     'isocompute.dat' using (($1 == 1 && $3 == 6) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#0072B2' title 'INT6', \
     'isocompute.dat' using (($1 == 1 && $3 == 6 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#0072B2' notitle, \
     'isocompute.dat' using (($1 == 1 && $3 == 8) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#009E73' title 'INT8', \
     'isocompute.dat' using (($1 == 1 && $3 == 8 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#009E73' notitle, \
     'isocompute.dat' using (($1 == 1 && $3 == 16) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#000000' title 'fp32 (as 16)', \
     'isocompute.dat' using (($1 == 1 && $3 == 16 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#000000' notitle
set title 'C = 4.8e+13'
plot 'isocompute.dat' using (($1 == 2 && $3 == 4) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#D55E00' title 'INT4', \
     'isocompute.dat' using (($1 == 2 && $3 == 4 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#D55E00' notitle, \
     'isocompute.dat' using (($1 == 2 && $3 == 6) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#0072B2' title 'INT6', \
     'isocompute.dat' using (($1 == 2 && $3 == 6 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#0072B2' notitle, \
     'isocompute.dat' using (($1 == 2 && $3 == 8) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#009E73' title 'INT8', \
     'isocompute.dat' using (($1 == 2 && $3 == 8 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#009E73' notitle, \
     'isocompute.dat' using (($1 == 2 && $3 == 16) ? $4 : 1/0):5 with linespoints pt 7 ps 0.7 lc rgb '#000000' title 'fp32 (as 16)', \
     'isocompute.dat' using (($1 == 2 && $3 == 16 && $7 == 1) ? $4 : 1/0):5 with points pt 6 ps 2.2 lc rgb '#000000' notitle
unset multiplot
