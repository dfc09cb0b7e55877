"""An e-mail as SES stores it (raw MIME), read with the standard library: who wrote, what
(plain text, or the HTML turned into text), the files it carries, and which earlier
messages it answers (`In-Reply-To`, `References`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

MAX_ATTACHMENTS = 20
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_SAFE_NAME = re.compile(r"[^\w.\-]+")


@dataclass
class MailFile:
    name: str
    content_type: str
    content: bytes


@dataclass
class Mail:
    message_id: str | None
    sender_name: str | None
    sender_email: str | None
    subject: str
    text: str
    sent_at: datetime | None
    answers: list[str] = field(default_factory=list)
    files: list[MailFile] = field(default_factory=list)


class _Text(HTMLParser):
    """The readable text of an HTML body: blocks become lines; scripts and styles vanish."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def message_ids(header: str | None) -> list[str]:
    return _MESSAGE_ID.findall(header or "")


def safe_name(name: str) -> str:
    cleaned = _SAFE_NAME.sub("_", name).strip("._") or "file"
    return cleaned[-120:]


def parse(raw: bytes) -> Mail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    addresses = getaddresses([str(message.get("From", ""))])
    name, address = addresses[0] if addresses else ("", "")
    answers = message_ids(str(message.get("In-Reply-To", ""))) + message_ids(
        str(message.get("References", ""))
    )
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message.get("Date") else None
    except (TypeError, ValueError):
        sent_at = None
    ids = message_ids(str(message.get("Message-ID", "")))
    return Mail(
        message_id=ids[0] if ids else None,
        sender_name=name or None,
        sender_email=address.lower() if "@" in address else None,
        subject=str(message.get("Subject", "")).strip(),
        text=_body_text(message),
        sent_at=sent_at if sent_at is not None and sent_at.tzinfo is not None else None,
        answers=list(dict.fromkeys(reversed(answers))),
        files=_files(message),
    )


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.strip()


def _files(message: EmailMessage) -> list[MailFile]:
    files: list[MailFile] = []
    for part in message.iter_attachments():
        if len(files) >= MAX_ATTACHMENTS:
            break
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        files.append(
            MailFile(
                name=safe_name(part.get_filename() or "attachment"),
                content_type=part.get_content_type(),
                content=content,
            )
        )
    return files
