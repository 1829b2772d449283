# proc_true: 1,000 runs of /bin/true, one after the other (subprocess.run, output captured as
# proc/run does). Prints the sum of the exit statuses (0).
import subprocess
print(sum(subprocess.run(["/bin/true"], capture_output=True).returncode for _ in range(1000)))
