"""Names that vulture (`make lint`, dead code) cannot see being used, because a framework, a
string or serialisation uses them. Each group says who uses them. Keep it short: dead code is
deleted, not listed here."""

# ruff: noqa: B018
from typing import Any

# vulture reads attribute accesses on `_` as uses of those names; nothing runs this module.
_: Any = object()

# pydantic-ai and LiteLLM module switches the code sets.
_.ALLOW_MODEL_REQUESTS
_.BANNER_ENABLED
_.suppress_debug_info
# httpx's transport protocol, Python's http.server and html.parser, asyncio protocols.
_.handle_async_request
_.do_GET
_.do_POST
_.log_message
_.protocol_version
_.request_queue_size
_.daemon_threads
_.close_connection
_.handle_starttag
_.handle_data
_.connection_made
# uvicorn's server flag, Bolt's app hooks, the Socket Mode client's URL.
_.should_exit
_.listener_start_handler
_.listener_completion_handler
_.wss_uri
_.authorize
# Bolt's installation and OAuth state store protocols and its middleware.
_.async_delete_bot
_.async_delete_installation
_.async_delete_all
_.async_issue
_.async_consume
_.async_process
# SQLAlchemy: TypeDecorator hooks, event-listener arguments, connection attributes.
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value
_.flush_context
_.instances
_.isolation_level
# Table columns written and read by SQL, and enum members read from the database.
_.done_at
_.sent_at
_.low
# Named in `cast("CursorResult[Any]", ...)`, a string.
_.CursorResult
# Settings fields read by name (the secrets provider, the settings' own validators).
_.metrics_token
# deepeval's model and metric interfaces, and the promptfoo and deepeval entry points.
_.load_model
_.a_generate
_.get_model_name
_.threshold
_.include_reason
_.async_mode
_.strict_mode
_.evaluation_model
_.a_measure
_.is_successful
_.hyperparameters
_.generate_tests
_.call_api
# Fields of JSON reports, written out whole (dataclasses.asdict / model_dump).
_.base_harmful
_.new_harmful
_.starts_on
_.generated_at
_.instance
# uvicorn's `--factory` target, named by a string.
_.create_app_from_env
# Pytest: module markers, schemathesis's state-machine hook, a worker health pulse the
# tests read through HTTP, and the seeded team's deactivated person, named for the reader.
_.pytestmark
_.get_call_kwargs
_._pulse
_.dave
# The offline parser notes a person it could not resolve; no reading acts on it yet.
_.unresolved_person
# Keys of the TypedDicts that describe Slack's JSON (Block Kit, payloads): Slack's names, set
# or read as JSON.
_.confirm
_.deny
_.style
_.placeholder
_.initial_user
_.initial_option
_.initial_date
_.initial_time
_.multiline
_.max_length
_.initial_value
_.private_metadata
_.selected_user
_.selected_date
_.selected_time
_.selected_option
_.is_ephemeral
