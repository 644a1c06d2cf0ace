from infusion_tui.cli import main

raise SystemExit(main())
