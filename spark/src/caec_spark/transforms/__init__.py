"""Pure DataFrame -> DataFrame transformations of the job (no I/O)."""
