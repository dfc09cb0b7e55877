"""Each app is wired as Lambda and the resources say: handlers, queues, schedules."""

from __future__ import annotations

import pytest
from chalice.app import ScheduledEventConfig, SQSEventConfig

from lanka_local import services
from lanka_platform import resources

NAMES = [service.name for service in resources.SERVICES]


@pytest.fixture(scope="module")
def loaded():
    return services.load_all()


@pytest.mark.parametrize("name", NAMES)
def test_every_lambda_handler_is_a_name_in_app_py(loaded, name):
    module = loaded[name].module
    for source in module.app.event_sources:
        attribute = source.handler_string.split(".", 1)[1]
        assert callable(getattr(module, attribute)), source.handler_string


@pytest.mark.parametrize("name", NAMES)
def test_inbox_is_the_services_own_queue(loaded, name):
    queues = [source.queue for source in loaded[name].app.event_sources if isinstance(source, SQSEventConfig)]
    assert queues == [resources.service(name).queue]


@pytest.mark.parametrize("name", NAMES)
def test_handlers_are_exactly_the_consumed_events(loaded, name):
    assert loaded[name].service.handled_detail_types == frozenset(resources.service(name).consumes)


@pytest.mark.parametrize("name", NAMES)
def test_the_schedules_are_the_declared_ones_and_run_every_minute(loaded, name):
    schedules = [s for s in loaded[name].app.event_sources if isinstance(s, ScheduledEventConfig)]
    assert sorted(s.name for s in schedules) == sorted(resources.service(name).schedules)
    assert "outbox_sweep" in resources.service(name).schedules
    assert {str(s.schedule_expression.to_string()) for s in schedules} == {"rate(1 minute)"}


def test_a_service_refuses_a_handler_for_an_event_it_does_not_consume():
    from lanka_platform.contracts.clients import ClientCreated
    from lanka_platform.service import LankaService

    booking = LankaService("booking")
    with pytest.raises(ValueError, match="does not consume"):
        booking.handles(ClientCreated)
