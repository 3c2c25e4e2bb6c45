"""Studies built on the engines: replications and their execution (runner), replications to
a precision, paired what-if comparisons, sweeps and calibration."""
