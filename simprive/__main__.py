from simprive.cli import main

main()
