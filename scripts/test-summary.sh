#!/usr/bin/env bash
# Sums the Surefire/Failsafe XML reports of every module into one table; exits 1 when any test
# failed or errored, naming the test classes.
cd "$(dirname "$0")/.."
printf '%-20s %-10s %6s %6s %6s %6s\n' module tier tests fail error skip
tot_t=0; tot_f=0; tot_e=0; tot_s=0
for dir in */target/surefire-reports */target/failsafe-reports; do
  [ -d "$dir" ] || continue
  module=${dir%%/*}; tier=unit; [[ $dir == *failsafe* ]] && tier=integration
  read -r t f e s < <(cat "$dir"/TEST-*.xml 2>/dev/null | grep -o '<testsuite [^>]*' |
    awk '{ for (i=1;i<=NF;i++) { split($i,kv,"="); gsub(/"/,"",kv[2]);
           if (kv[1]=="tests") t+=kv[2]; if (kv[1]=="failures") f+=kv[2];
           if (kv[1]=="errors") e+=kv[2]; if (kv[1]=="skipped") s+=kv[2] } }
         END { print t+0, f+0, e+0, s+0 }')
  printf '%-20s %-10s %6d %6d %6d %6d\n' "$module" "$tier" "$t" "$f" "$e" "$s"
  tot_t=$((tot_t+t)); tot_f=$((tot_f+f)); tot_e=$((tot_e+e)); tot_s=$((tot_s+s))
done
printf '%-20s %-10s %6d %6d %6d %6d\n' TOTAL "" "$tot_t" "$tot_f" "$tot_e" "$tot_s"
if [ $((tot_f + tot_e)) -gt 0 ]; then
  echo "FAILED tests:"
  grep -l -E '<(failure|error)[ >]' */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml 2>/dev/null |
    sed -E 's|.*/TEST-(.*)\.xml|  \1|'
  exit 1
fi
