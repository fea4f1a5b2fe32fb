from mlvet.cli import main

raise SystemExit(main())
