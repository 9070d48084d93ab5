"""Messages that need a reply rather than a tool call: greetings, thanks, help, off-topic asks.

Also the clarifying questions the parser asks when a request is ambiguous.
"""

from __future__ import annotations

import re

HELP = (
    "I can keep track of tasks for you and your team. For example:\n"
    "• “remind @bob to send the Q3 deck by friday”\n"
    "• “add a task to renew the TLS certificate, high priority”\n"
    "• “assign #12 to @carol”, “mark #3 done”, “move #4 to next tuesday”\n"
    "• “what's on my plate?”, “what's overdue?”, “show bob's tasks”"
)
GREETING = (
    "Hi! I'm TaskPilot. Tell me what needs doing, like “remind @bob to send the Q3 deck by "
    "friday”, or ask “what's on my plate?”."
)
THANKS = "You're welcome! Anything else?"
ACK = "👍 Anything else I can do?"
FAREWELL = "Bye! Ping me whenever something needs tracking."
IDENTITY = (
    "I'm TaskPilot, the task assistant for this workspace. I create, assign, update and list "
    "tasks. Say “help” to see examples."
)
HOW_ARE_YOU = "All good, thanks! What can I do for you?"
BUMP_HOW = "Bump it how: a higher priority, or a later due date? For example “bump it to urgent”."
PRESENT = "I'm here! What can I do for you?"
ONLY_TASKS = (
    "I can only delete or change tasks, not accounts, channels or messages. Which task do you "
    "mean? Give me its number (like #7)."
)
OFF_TOPIC = (
    "I can only help with tasks: creating, assigning, updating and listing them. Try “what's on "
    "my plate?” or “add a task to …”."
)
NEVERMIND = "No problem, I didn't change anything."
PASTED = (
    "I read what you pasted, but I only act on your own words. Say what to do with it, like "
    "“make tasks for these”."
)
YES_WITHOUT_QUESTION = "Okay! What would you like me to do? Say “help” for examples."
EMPTY = "What can I do for you? Say “help” for examples."
UNKNOWN = (
    "I'm not sure what you'd like me to do. I can add tasks (“add a task to renew the TLS "
    "certificate by friday”), assign them (“assign #12 to @bob”), update them (“mark #3 done”) "
    "or list them (“what's on my plate?”)."
)
WHICH_TASK = "Which task do you mean? Give me its number (like #12) or a few words of its title."
WHICH_TASK_AFTER_LIST = "Which of those tasks do you mean? Give me its number (like #12)."
DELETE_ALL = (
    "I can only delete one task at a time, and I'll ask you to confirm each one. Which task "
    "should I delete? Give me its number (like #7)."
)
BULK_UPDATE = (
    "I can only change one task at a time. Which task do you mean? Give me its number (like #12)."
)
WHO = "Who should I assign it to? Give me a name or @mention."
HAND_OVER = "Which task should go to whom? Say it like “give #12 to @bob”."


def who_is(pronoun: str) -> str:
    """The question when "her" or "him" points at nobody named earlier in the conversation."""
    return f"Who do you mean by “{pronoun}”? Give me a name or @mention."


WHAT_TITLE = "What should the task say? For example “add a task to renew the TLS certificate”."
WHAT_REMINDER = "What should I remind you about? For example “remind me to call the bank tomorrow”."
WHEN = "When should it be due? For example “next tuesday” or “2026-12-01”."
WHAT_CHANGE = (
    "What should I change about it? I can mark it done, reopen it, reschedule it, change its "
    "priority, rename it or assign it."
)
UNASSIGN = (
    "I can't leave a task without an assignee yet, but I can give it to someone else: "
    "“assign #12 to @bob”."
)
SHIFT_BY = "Tell me the new date instead, like “move #3 to next tuesday”, and I'll reschedule it."
SINGLE_TASK = (
    "I can't open a single task by number yet. Try “list my tasks” or search by words, like "
    "“find tasks about invoices”."
)
TOO_LONG = (
    "That message is too long for me to turn into tasks. Send the part that says what should be "
    "done (a sentence or two), and add long details as a note afterwards."
)


_SUGGESTION = re.compile(r"^Do you want me to add “(?P<title>[^”]+)” as a task\?")
_AGREE = frozenset(
    {"yes", "y", "yep", "yeah", "yup", "sure", "ok", "okay", "please", "yes please", "do it"}
    | {"go ahead", "please do", "sounds good", "absolutely", "add it", "yes add it", "sure thing"}
)


def suggest_create(title: str) -> str:
    """The question asked when a bare phrase might be a new task ("buy milk")."""
    return f"Do you want me to add “{title}” as a task? Say yes, or “add {title}”."


def suggested_title(reply: str) -> str | None:
    """The title a `suggest_create` question offered, if `reply` is one."""
    match = _SUGGESTION.match(reply)
    return match.group("title") if match else None


def is_agreement(text: str) -> bool:
    """Whether a message is a plain yes ("yes", "sure", "go ahead 👍")."""
    return _normalized(text) in _AGREE


_PUNCT = re.compile(r"[^\w\s'+]")

_GREETING_WORDS = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "hiya",
        "howdy",
        "yo",
        "sup",
        "heya",
        "gm",
        "morning",
        "hola",
        "greetings",
    }
)
_GREETING_TAILS = frozenset(
    {
        "there",
        "all",
        "team",
        "taskpilot",
        "bot",
        "again",
        "everyone",
        "folks",
        "friend",
        "buddy",
        "mate",
        "man",
        "y'all",
        "yall",
        "you",
    }
)
_GREETING_PHRASES = frozenset(
    {
        "good morning",
        "good afternoon",
        "good evening",
        "good day",
        "what's up",
        "whats up",
        "wassup",
        "what up",
        "hey hey",
        "hi hi",
        "evening",
        "afternoon",
    }
)
_THANKS = re.compile(
    r"^(?:(?:thanks|thank\s+you(?:\s+(?:so|very)\s+much)?|thanks\s+(?:so|very)\s+much|thx|ty|cheers"
    r"|much\s+appreciated|appreciate\s+it|thank\s+u"
    r"|many\s+thanks|great|perfect|awesome|nice|cool|sweet|excellent|brilliant|lovely|amazing)"
    r"(?:\s+(?:so\s+much|a\s+lot|a\s+bunch|again|mate|man|buddy|bot|taskpilot|you|very\s+much))*\s*)+$"
)
_ACKS = frozenset(
    [
        "ok",
        "okay",
        "k",
        "kk",
        "cool",
        "got",
        "it",
        "gotcha",
        "sounds",
        "good",
        "nice",
        "great",
        "perfect",
        "alright",
        "all",
        "right",
        "sure",
        "fine",
        "noted",
        "understood",
        "lol",
        "haha",
        "hahaha",
        "lmao",
        "ha",
        "good",
        "nice",
        "one",
        "wow",
        "neat",
    ]
) | {"got it", "sounds good", "all right", "nice one"}
_FAREWELLS = frozenset({"bye", "goodbye", "see ya", "see you", "later", "cya", "good night", "gn"})
_YES_NO = frozenset(
    {"yes", "no", "yep", "yeah", "yup", "nope", "nah", "y", "n", "sure", "yes please", "no thanks"}
)
_NEVERMIND = frozenset(
    {"nevermind", "never mind", "nvm", "cancel", "forget it", "forget that", "stop", "abort"}
)
_HELP = re.compile(
    r"^(?:help|help me|\?|/help|commands|usage|how does this work"
    r"|how do (?:i|you) use (?:this|you|it)"
    r"|what can you do|what do you do|what can i do|what can i ask|what are you able to do"
    r"|what are your commands|how (?:do|can) i (?:add|create|use)\b.*|can you help(?: me)?"
    r"|what can you help (?:me )?with|what commands are there|show (?:me )?(?:the )?help"
    r"|i need help|instructions|examples?|how to use|what(?:'s| is) a task|how do(?:es)? "
    r"(?:tasks?|this|it|taskpilot) work(?: here)?)$"
)
_PRESENCE = re.compile(
    r"^(?:are you there|you there|anyone there|ping|are you alive|you up|are you awake|hello\?"
    r"|are you working)$"
)
_IDENTITY = re.compile(
    r"^(?:who|what) (?:are|r) (?:you|u)|^what is taskpilot"
    r"|^are you (?:a |an )?(?:bot|human|ai|robot|real|person|gpt|chatgpt)"
    r"|^what(?:'s| is) your name|^who made you|^who built you"
)
_HOW_ARE_YOU = re.compile(
    r"^(?:(?:good )?(?:morning|afternoon|evening|hi|hey|hello|yo) )?"
    r"(?:how are (?:you|u|we|yall|you all)|how's it going|hows it going|how are things"
    r"|how(?:'s| is|s) (?:everyone|everybody)(?: doing)?)"
)
_OFF_TOPIC = re.compile(
    r"\b(?:weather|forecast|joke|jokes|poem|song|lyrics|recipe|news|stock|stocks|bitcoin|crypto"
    r"|capital of|meaning of life|translate|sports?|score|movie|movies|football|soccer"
    r"|basketball|horoscope|tell me about yourself|sing|write me|weather like|temperature"
    r"|who won|who is the president|president of|population of|how old is|how tall is"
    r"|what time is it|what's the time|what day is it|play music|order pizza|define)\b"
)


def _normalized(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def chat_reply(text: str) -> str | None:
    """A reply when the whole message is small talk or a request for help, else None."""
    normalized = _normalized(text)
    if not normalized:
        # Emoji alone read as a reaction; bare punctuation asks for nothing.
        return ACK if re.search(r"[^\s\W]|[^\x00-\x7f]", text) else EMPTY
    words = normalized.split()
    if normalized in _GREETING_PHRASES or (
        words[0] in _GREETING_WORDS and all(word in _GREETING_TAILS for word in words[1:])
    ):
        return GREETING
    if _HELP.match(normalized):
        return HELP
    if _THANKS.match(normalized):
        return THANKS
    if normalized in _ACKS:
        return ACK
    if normalized in _FAREWELLS:
        return FAREWELL
    if normalized in _YES_NO:
        return YES_WITHOUT_QUESTION
    if normalized in _NEVERMIND:
        return NEVERMIND
    if _PRESENCE.match(normalized):
        return PRESENT
    if _IDENTITY.search(normalized):
        return IDENTITY
    if _HOW_ARE_YOU.search(normalized):
        return HOW_ARE_YOU
    return None


# A question to the people in the channel, not to the bot: "anyone know if the office is open?".
_TO_OTHERS = re.compile(
    r"^(?:(?:does|did|has|is)\s+)?(?:any\s*one|anybody|every\s*one|everybody|somebody|someone"
    r"|y'?all|you\s+guys|guys)\s+(?:know|knows|seen|see|heard|hear|remember|around|here|free"
    r"|going|coming|up\s+for|want|wanna|else|got\s+a\s+(?:sec|minute)|have\s+a\s+(?:sec|minute)"
    r"|tried|using|familiar)\b"
)


def off_topic_reply(text: str) -> str | None:
    """A reply for requests outside tasks (weather, jokes, trivia), else None."""
    normalized = _normalized(text)
    if _OFF_TOPIC.search(normalized):
        return OFF_TOPIC
    return None


def to_others_reply(text: str) -> str | None:
    """A reply for a question meant for the people in the channel, else None."""
    if _TO_OTHERS.match(_normalized(text)):
        return OFF_TOPIC
    return None
