"""The eval datasets as deepeval test cases: `deepeval test run evals/deepeval/`.

Kept out of the project's normal `pytest` run (its `testpaths` is `tests`); this folder's own
`pytest.ini` configures the run that `deepeval test run` starts here.
"""
