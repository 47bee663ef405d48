"""Fixed vocabularies the generator draws from (index-coded in the columnar tables)."""

from __future__ import annotations

DIRECTIONS = ("inbound", "outbound")
CALL_STATUSES = ("initiated", "ringing", "answered", "completed", "failed", "busy", "no_answer")
FINAL_STATUS_WEIGHTS = {"completed": 0.80, "failed": 0.05, "busy": 0.06, "no_answer": 0.09}
CALL_SOURCES = ("pstn", "sip", "webrtc", "api")

EVENT_TYPES = ("response", "tool_call", "tool_result", "state_step")
SPEAKERS = ("caller", "agent")

# (model, share, typical input tokens, audio share) - realtime models carry audio tokens
MODELS = (
    ("gpt-4o-realtime-preview", 0.30, 1800, 0.7),
    ("gpt-4o-mini-realtime-preview", 0.25, 1400, 0.7),
    ("gpt-realtime", 0.25, 2200, 0.75),
    ("gpt-4.1-mini", 0.12, 1200, 0.0),
    ("claude-sonnet-4-5", 0.08, 2600, 0.0),
)

# (tool, failure rate, error messages)
TOOLS = (
    ("lookup_customer", 0.04, ("customer not found", "CRM timeout after 5000 ms")),
    ("check_availability", 0.08, ("calendar service unavailable",)),
    ("book_appointment", 0.15, ("slot no longer available", "validation failed: date in the past")),
    ("transfer_call", 0.10, ("no operator available", "SIP 486 Busy Here")),
    ("send_sms", 0.20, ("invalid destination number", "carrier rejected message (error 30007)")),
)

WORKFLOW_STATES = (
    ("greeting", "Greeting"),
    ("identify_caller", "Identify caller"),
    ("understand_need", "Understand the request"),
    ("resolve", "Resolve or book"),
    ("confirm", "Confirm details"),
    ("wrap_up", "Wrap-up"),
)

AGENT_NAMES = ("Reception Ava", "Bookings Bot", "Support Sam", "Après-vente Zoé")

OPERATOR_NAMES = (
    "Alice Martin", "Bruno Müller", "Chloé Dubois", "Dmitri Ivanov", "Elena García",
    "Fatima Zahra", "Gustav Ørsted", "Hana Sato", "Ibrahim Okafor", "Jana Novák",
    "Kwame Mensah", "Lucía Fernández", "Mei Chen 陈美", "Nils Johansson", "Olivia Brown",
    "Priya Sharma", "Quentin Lefèvre", "Rosa Rossi", "Søren Kierkegaard", "Tomás O'Brien",
)

OPERATOR_STATUSES = ("available", "on_break", "logged_out")
OPERATOR_SOURCES = ("widget", "api", "system")

ORG_NUMBERS = ("+442071838750", "+442079460000", "+14155550123", "+33144556677")

AGENT_LINES = (
    "Hello, thanks for calling! How can I help you today?",
    "Could you tell me your account number, please?",
    "Let me check that for you — one moment.",
    "I've found your booking for Tuesday at 3 pm.",
    "Je peux vous proposer un créneau jeudi à 10 h.",
    "Sure, I'll send you an SMS with the details. 📱",
    "You said \"next Friday\", is that right?",
    "I'm transferring you to a colleague now.\nPlease stay on the line.",
    "Is there anything else I can help with?",
    "Vielen Dank für Ihren Anruf, schönen Tag noch!",
    "予約を確認しました。ありがとうございます。",
    "Your reference is 'SPT-4471'.",
    "Great, you're all set 👍",
    "I'm sorry, that slot is no longer available.",
)

CALLER_LINES = (
    "Hi, I'd like to book an appointment.",
    "Yes, it's 4471... no wait, 4417.",
    "Um, I'm not sure — can you check?",
    "Ça marche, merci beaucoup !",
    "I said \"Tuesday\", not Thursday.",
    "Can I speak to a real person please?",
    "Grüß Gott, ich möchte meinen Termin ändern.",
    "我想预约下周二。",
    "That's perfect 😊",
    "Hmm.\nHold on, my kids are shouting.",
    "No, that's everything. Bye!",
    "It's José — J-O-S-É.",
    "What's the price? €45?",
    "Okay.",
)
