"""The composition root: the one package that knows every other one. It assembles them into
the `taskpilot` command (`taskpilot.cli`), the server (`taskpilot.server`, run by
`taskpilot.serve`) and the full set of tables (`taskpilot.tables`). Nothing imports it."""
