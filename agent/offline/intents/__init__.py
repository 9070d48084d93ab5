"""The intent registry: every reader of a message, its cues, and the sentences it must read.

A reader looks at one message (an `Utterance`) and proposes at most one `Reading`: the calls it
would plan and a score. The parser asks every reader of `INTENTS` and `readings.choose` picks
the winner. Each `Intent` carries example sentences with the calls they must produce; the test
suite reads every example of every intent (tests/agent/offline/test_intents.py), so an example
is also a test.

Scores, on one scale for every reader:

- 0.9  a command that names its task by number and says what changes ("make task 5 urgent").
- 0.85 an explicit create ("add a task to ...", "remind me to ...").
- 0.8  a change to a task named by words with a verb that only ever means a change
  ("I'll take the postmortem", "started on the safety binder", "X can slip two days").
- 0.75 what the clause reader makes of a message with no stronger cue.
- 0.6  small talk and help; 0.55 an off-topic request.
- 0.2  a create whose title is really a task reference ("1", "#4", "it"): never taken when
  anything else reads the message, and asked about otherwise.
- 0.1  nothing understood.

The package, one module to a family of readers:

- `utterance`: `Utterance` (a message as the readers see it) and `Intent`.
- `cues`: cues shared by every family: `create_cue`, `unsafe_title`, `task_named`,
  `person_named`, the task-number patterns, `make_reading`.
- `asides`: remarks and asides around a request: leaving them out, and what they are about.
- `clauses`: the clause parser's reading of the whole message, tidied and scored
  (`score_clauses`).
- `numbered`: changes to tasks named by number, relative reschedules, several hand-overs.
- `loose`: changes to a task named by words, and a task named first, then what became of it.
- `remarks`: a remark and a request in one message, and the request after a leading remark.
- `leading`: a time, a reason or the details said before the request.
- `creates`: new tasks the clause parser alone reads wrong (quoted titles, several creates,
  "task for ana ...", "ping me ...", fragments).
- `follow_up`: follow-ups to the last exchange, and answers to the parser's questions.
- `bulk_move`, `lists`, `delete`, `descriptions`, `off_topic`, `sentences`: one family each.
- `registry`: `INTENTS` and `read_all`, which asks every reader about a message.

To add an intent: write a reader that returns a `Reading` (or None) in the module of its family
(a new module for a new family), give it examples, and add it to `INTENTS` in `registry`: the
place in the tuple breaks ties. Its cues come from `agent.offline.lexicon` where the words are
shared, and from `cues` or `asides` where other readers use them too.
"""

from agent.offline.intents.cues import create_cue, task_named, unsafe_title
from agent.offline.intents.registry import INTENTS, read_all
from agent.offline.intents.utterance import Intent, Utterance

__all__ = [
    "INTENTS",
    "Intent",
    "Utterance",
    "create_cue",
    "read_all",
    "task_named",
    "unsafe_title",
]
