"""Telephony (the generic signed format and Binotel's call-completed callback) and e-mail
received through SES into S3: each lands in the client's conversation and is announced;
forged, stale or oversized callbacks change nothing."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import boto3
from inbound_world import (
    API,
    NOW,
    Listener,
    binotel,
    binotel_completed,
    call_event,
    clients_of,
    deals_of,
    entries,
    fix_clock,
    nothing_kept,
    telephony,
)

BUCKET = "lanka-inbound-mail"

# ------------------------------------------------------------------------------ generic telephony


def test_a_missed_call_is_a_request_and_then_a_call_received_for_the_client(world):
    # given
    fix_clock(world)
    listener = Listener("CallReceived")
    # when
    response = telephony(world, call_event("missed"))
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    (client,) = clients_of(world)
    (announced,) = listener.received()
    assert (announced["call_id"], announced["client_id"], announced["answered"]) == (
        "call-1",
        client["id"],
        False,
    )
    (entry,) = entries(world, client["id"])
    assert (entry["kind"], entry["text"], entry["call"]["line"]) == ("call", "Пропущений дзвінок", "101")


def test_an_answered_call_carries_its_duration_recording_and_line(world):
    # given
    fix_clock(world)
    listener = Listener("CallReceived")
    telephony(world, call_event("started"))
    telephony(world, call_event("answered", user_id="user-olena"))
    # when
    telephony(
        world,
        call_event(
            "ended", duration_seconds=125, recording_url="https://pbx.example/rec/1.mp3", client_phone=None
        ),
    )
    world.router.deliver_all()
    # then
    (announced,) = listener.received()
    assert announced["answered"] is True and announced["duration_seconds"] == 125
    assert (
        announced["recording_url"] == "https://pbx.example/rec/1.mp3" and announced["user_id"] == "user-olena"
    )
    (client,) = clients_of(world)
    assert entries(world, client["id"])[0]["text"] == "Дзвінок, 2 хв 5 с"


def test_a_call_that_is_only_ringing_is_not_yet_a_request(world):
    # given
    fix_clock(world)
    # when
    telephony(world, call_event("started"))
    world.router.deliver_all()
    # then
    assert clients_of(world) == []


def test_a_telephony_event_with_a_bad_signature_is_401_and_changes_nothing(world):
    # given
    fix_clock(world)
    # when
    response = telephony(world, call_event("missed"), secret="forged")
    world.router.deliver_all()
    # then
    assert response.status_code == 401
    assert nothing_kept(world) and clients_of(world) == []


def test_a_replayed_telephony_event_with_an_old_timestamp_is_401(world):
    # given
    fix_clock(world)
    # when: a validly signed request captured six minutes ago
    response = telephony(world, call_event("missed"), at=NOW - timedelta(minutes=6))
    world.router.deliver_all()
    # then
    assert response.status_code == 401
    assert "5 minutes" in response.get_json()["detail"]
    assert nothing_kept(world)


def test_a_telephony_event_repeated_within_the_window_is_one_call(world):
    # given
    fix_clock(world)
    listener = Listener("CallReceived")
    telephony(world, call_event("missed"))
    world.router.deliver_all()
    # when
    again = telephony(world, call_event("missed"))
    world.router.deliver_all()
    # then
    assert again.get_json()["duplicate"] is True
    assert len(listener.received()) == 1


def test_an_oversized_telephony_event_is_413(world):
    # given
    fix_clock(world)
    # when
    response = telephony(world, call_event("missed", padding="x" * 70_000))
    # then
    assert response.status_code == 413
    assert nothing_kept(world)


def test_a_telephony_event_with_invalid_fields_is_422_and_changes_nothing(world):
    # given
    fix_clock(world)
    # when
    response = telephony(world, call_event("rang-twice"))
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["event"]
    assert nothing_kept(world)


# ------------------------------------------------------------------------------ Binotel


def test_a_binotel_missed_call_is_announced_for_the_client(world):
    # given
    listener = Listener("CallReceived")
    # when
    response = binotel(world, binotel_completed())
    world.router.deliver_all()
    # then
    assert response.get_json() == {"status": "success"}
    (client,) = clients_of(world)
    (announced,) = listener.received()
    assert (announced["call_id"], announced["provider"], announced["answered"]) == (
        "4593725541",
        "binotel",
        False,
    )
    assert deals_of(world, client["id"])


def test_a_binotel_answered_call_has_its_billed_seconds_and_recording(world):
    # given
    listener = Listener("CallReceived")
    # when
    binotel(
        world,
        binotel_completed(
            disposition="ANSWER",
            billsec="61",
            linkToCallRecordInMyBusiness="https://my.binotel.ua/?module=history&subject=4593725541",
        ),
    )
    world.router.deliver_all()
    # then
    (announced,) = listener.received()
    assert (announced["answered"], announced["duration_seconds"]) == (True, 61)
    assert announced["recording_url"].startswith("https://my.binotel.ua/")


def test_a_binotel_callback_without_our_token_is_401(world):
    # when
    response = binotel(world, binotel_completed(), token="guess")
    world.router.deliver_all()
    # then
    assert response.status_code == 401
    assert nothing_kept(world)


def test_a_binotel_callback_for_another_company_is_403(world):
    # when
    response = binotel(world, binotel_completed(companyID="999"))
    # then
    assert response.status_code == 403
    assert nothing_kept(world)


def test_a_binotel_callback_sent_again_is_one_call(world):
    # given
    listener = Listener("CallReceived")
    binotel(world, binotel_completed())
    world.router.deliver_all()
    # when
    binotel(world, binotel_completed())
    world.router.deliver_all()
    # then
    assert len(listener.received()) == 1


# ------------------------------------------------------------------------------ e-mail


def _store_mail(key, *, subject="Шафа в передпокій", sender="Ірина <Iryna@Example.com>", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "hello@lanka.example"
    message["Subject"] = subject
    message["Date"] = headers.pop("date", "Fri, 27 Nov 2026 09:00:00 +0200")
    message["Message-ID"] = headers.pop("message_id", f"<{key}@mail.example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Plain text part")
    message.add_alternative(
        "<html><head><style>p{}</style></head>"
        "<body><p>Добрий день!</p><p>Потрібна <b>шафа</b>.</p></body></html>",
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="план.pdf")
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=message.as_bytes())


def _receive(world, key):
    return world.http.post(f"{API}/mail/inbound", json={"key": key}, headers=world.headers("root", "admin"))


def test_an_email_lands_in_the_conversation_with_its_text_and_attachment(world):
    # given
    _store_mail("inbox/m1")
    # when
    response = _receive(world, "inbox/m1")
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    (client,) = clients_of(world)
    (entry,) = entries(world, client["id"])
    assert (entry["channel"], entry["subject"]) == ("email", "Шафа в передпокій")
    assert entry["text"] == "Plain text part"
    (attachment,) = entry["attachments"]
    assert attachment["content_type"] == "application/pdf"
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=attachment["key"])["Body"].read()
    assert stored == b"%PDF-1.4 plan"


def test_an_email_ses_stores_under_inbound_is_taken_in_by_the_buckets_notification(world):
    # given: SES's receipt rule stores the e-mail; S3 tells the default bus
    _store_mail("inbound/ses-m1")
    # when
    world.router.deliver_all()
    world.router.deliver_all()
    # then
    (client,) = clients_of(world)
    (entry,) = entries(world, client["id"])
    assert (entry["channel"], entry["subject"]) == ("email", "Шафа в передпокій")


def test_an_html_only_email_is_read_as_text(world):
    # given
    message = EmailMessage()
    message["From"] = "petro@example.com"
    message["Subject"] = "HTML"
    message.set_content("<p>Добрий день!</p><script>x()</script><p>Потрібна <b>шафа</b>.</p>", subtype="html")
    boto3.client("s3").put_object(Bucket=BUCKET, Key="inbox/html", Body=message.as_bytes())
    # when
    _receive(world, "inbox/html")
    world.router.deliver_all()
    # then
    (client,) = clients_of(world)
    assert entries(world, client["id"])[0]["text"] == "Добрий день!\n\nПотрібна шафа."


def test_a_reply_by_email_joins_the_conversation_it_answers_without_a_new_request(world):
    # given
    _store_mail("inbox/m1")
    _receive(world, "inbox/m1")
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when: the answer comes from another address, threaded by its headers
    _store_mail(
        "inbox/m2",
        subject="Re: Шафа в передпокій",
        sender="iryna.work@example.com",
        message_id="<m2@mail.example.com>",
        date="Fri, 27 Nov 2026 10:00:00 +0200",
        In_Reply_To="<inbox/m1@mail.example.com>",
        References="<inbox/m1@mail.example.com>",
    )
    _receive(world, "inbox/m2")
    world.router.deliver_all()
    # then
    assert [c["id"] for c in clients_of(world)] == [client["id"]]
    assert [e["subject"] for e in entries(world, client["id"])] == [
        "Re: Шафа в передпокій",
        "Шафа в передпокій",
    ]
    assert len(deals_of(world, client["id"])) == 1


def test_the_same_stored_email_taken_in_twice_is_one_message(world):
    # given
    _store_mail("inbox/m1")
    _receive(world, "inbox/m1")
    world.router.deliver_all()
    # when
    again = _receive(world, "inbox/m1")
    world.router.deliver_all()
    # then
    assert again.get_json()["duplicate"] is True
    (client,) = clients_of(world)
    assert len(entries(world, client["id"])) == 1


def test_a_missing_stored_email_is_404(world):
    # when
    response = _receive(world, "inbox/none")
    # then
    assert response.status_code == 404
    assert nothing_kept(world)


def test_only_an_admin_may_take_in_stored_mail(world):
    # given
    _store_mail("inbox/m1")
    # when
    response = world.http.post(f"{API}/mail/inbound", json={"key": "inbox/m1"}, headers=world.headers())
    # then
    assert response.status_code == 403
    assert nothing_kept(world)


def test_a_reply_by_email_threads_under_the_clients_mail_and_their_answer_comes_back_to_it(
    world, monkeypatch
):
    # given: Iryna wrote by e-mail, and the CRM may send mail
    from notify_world import run_schedule, sent_emails

    monkeypatch.setenv("LANKA_EMAIL_SENDER", "Lanka <no-reply@lanka.example>")
    boto3.client("sesv2").create_email_identity(EmailIdentity="lanka.example")
    _store_mail("inbox/m1")
    _receive(world, "inbox/m1")
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when a manager answers from the CRM
    reply = world.http.post(
        f"{API}/conversations/{client['id']}/replies",
        json={"text": "Добрий день! Завтра о 10:00 приїде замірник."},
        headers=world.headers("boss", "head"),
    )
    run_schedule("deliveries")
    # then the e-mail answers hers, with a Message-ID of our own
    assert reply.status_code == 201, reply.get_json()
    (sent,) = sent_emails()
    assert sent["In-Reply-To"] == "<inbox/m1@mail.example.com>"
    assert sent["References"] == "<inbox/m1@mail.example.com>"
    ours = str(sent["Message-ID"])
    assert ours.startswith(f"<{reply.get_json()['id']}@")
    # and when she answers that e-mail from another address, it joins her conversation
    _store_mail(
        "inbox/m3",
        subject="Re: Шафа в передпокій",
        sender="iryna.work@example.com",
        message_id="<m3@mail.example.com>",
        date="Fri, 27 Nov 2026 11:00:00 +0200",
        In_Reply_To=ours,
        References=f"<inbox/m1@mail.example.com> {ours}",
    )
    _receive(world, "inbox/m3")
    world.router.deliver_all()
    assert [c["id"] for c in clients_of(world)] == [client["id"]]
