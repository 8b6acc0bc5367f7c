"""CAEC Spark dev tooling: the sample generator, the DuckDB twin of the job and the benchmark.

Installed in the spark venv beside :mod:`caec_spark` (one distribution, two packages) but never copied
into the Spark image: the job does not import it (a test checks), and images/spark/Dockerfile copies
``caec_spark`` only.
"""
