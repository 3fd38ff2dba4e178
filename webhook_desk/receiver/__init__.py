"""The built-in test receiver: a real HTTP endpoint that captures, verifies and answers as told."""

from webhook_desk.receiver.answers import MODES, ReceiverOptions
from webhook_desk.receiver.inbox import Capture
from webhook_desk.receiver.server import Receiver, binding_warning

__all__ = ["MODES", "Capture", "Receiver", "ReceiverOptions", "binding_warning"]
