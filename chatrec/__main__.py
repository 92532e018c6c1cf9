from chatrec.cli import main

raise SystemExit(main())
