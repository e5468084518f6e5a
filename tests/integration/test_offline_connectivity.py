"""Connectivity state from the platform (not the OS flag): 在线 / 离线 / 恢复中 and cache ages."""

from __future__ import annotations

from client.api import Operator
from client.services.connectivity import OFFLINE, ONLINE, RECOVERING, ConnectivityMonitor, probe_platform
from client.services.context import open_context, training_settings_for


def test_offline_connectivity_states_and_subscribers(platform, tmp_path):
    from offline_cache import outbox

    with open_context(training_settings_for(platform.url, tmp_path / "w"), operator=Operator("T001", "收费员")) as ctx:
        mon = ConnectivityMonitor.for_context(ctx, timeout=1.0)
        got = []
        unsubscribe = mon.subscribe(got.append)
        st = mon.check()
        assert st.state == ONLINE and st.words == "在线" and st.cache.catalog_synced_at is None
        with ctx.store.session() as s:
            outbox.enqueue(s, key="K1", kind="test", payload={})
        st = mon.check()
        assert st.state == RECOVERING and st.outbox_pending == 1 and "待上传 1 笔" in st.summary()
        mon.check()                                   # unchanged: no new notification
        assert [x.state for x in got] == [ONLINE, RECOVERING]
        unsubscribe()
        url = platform.url
        platform.stop()
        assert probe_platform(url, timeout=1.0)[0] is False
        assert mon.check().state == OFFLINE and mon.last.words == "离线"
        assert len(got) == 2                          # unsubscribed
        assert mon.last.to_dict()["words"] == "离线"
