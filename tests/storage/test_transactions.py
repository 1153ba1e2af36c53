"""The media store keeps the local folder's transactional guarantees on S3 (moto), on SQLite
and PostgreSQL: an object written for a row that is rolled back is deleted, and a replaced photo's
object is removed only after the commit."""

from __future__ import annotations

import pytest

from citygraph.domain import districts
from citygraph.domain.districts import DistrictForm
from citygraph.domain.parsers import Id
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services
from tests.storage.test_uploads import png


async def keys(services: Services) -> list[str]:
    return sorted([info.key async for info in services.store.list()])


async def test_an_object_written_for_a_rolled_back_row_is_deleted(services: Services) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await districts.create_district(uow, DistrictForm.parse(title="T", image=png()))
            assert len(await keys(services)) == 1  # written before the row commits
            raise RuntimeError("the face failed after the domain call")
    assert await keys(services) == []
    async with services.sessions() as session:
        assert await districts.list_districts(session) == []


async def test_a_replaced_object_is_removed_only_after_the_commit(services: Services) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        created = await districts.create_district(
            uow, DistrictForm.parse(title="Old", image=png(color="red"))
        )
    assert created.id is not None and created.image is not None
    old_key = created.image

    with pytest.raises(RuntimeError):
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await districts.update_district(
                uow, Id(created.id), DistrictForm.parse(partial=True, image=png(color="blue"))
            )
            raise RuntimeError("rolled back")
    assert await keys(services) == [old_key]  # the old photo kept, the new one discarded

    async with unit_of_work(services, actor=SYSTEM) as uow:
        updated = await districts.update_district(
            uow, Id(created.id), DistrictForm.parse(partial=True, image=png(color="white"))
        )
        assert await services.store.exists(old_key)  # still there until the commit
    assert updated.image is not None
    assert await keys(services) == [updated.image]
