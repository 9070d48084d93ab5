"""promptfoo adapter: `npx promptfoo eval -c evals/promptfoo/promptfooconfig.yaml`."""
