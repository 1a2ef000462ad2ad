from acrlink.cli.main import main

main()
