"""ACR Tasks: quick builds and runs (the runs' records, the build agent) and the Blob Storage face that
carries build contexts and run logs."""
