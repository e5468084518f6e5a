"""Regional dialects of the training platform: one per demo-zone hospital (reference §1.3, §2).

A dialect fixes what a region's platform and gateway accept, so a client configured for another
region fails here exactly as it would at the real gateway:

* ``national`` — Qingpu 310118 (Shanghai). The national infno set through a Tencent-style x-tif
  gateway with base URL + infno (the Guangdong "ebus" layout of reference §1.3). NOTE: real Shanghai
  hospitals speak the "上海五期医保" interface (reference §3.13) to the Shanghai platform; this dialect
  models the national interface only (docs/central-interface.md, conventions).
* ``jiangsu`` — Wujiang 320509 (Suzhou). National infnos through the Alibaba CSB gateway, one URL
  (reference §2; UNVERIFIED that Suzhou uses exactly this).
* ``zhejiang`` — Jiashan 330421. The x-ca HMAC-SM3 gateway over the body, per-service paths, and the
  Zhejiang variants 2206A / 2207A (plain 2206/2207 are unknown there); 2601 names the original as
  ``oinfno`` "2207A"; ``err_msg`` "success" on success (real-messages/9001-output-zjharness.json);
  an infno the path does not serve gets the recorded refusal
  (real-messages/error-unknown-infno-zjharness.json).

The gateway secrets below are TRAINING-ONLY values of this embedded platform (published here on
purpose so a fresh machine can run the examples); real secrets come from the regional office and live
in the secret store, never in a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from training_platform.gateway import CsbGateway, XCaGateway, XTifGateway


@dataclass(frozen=True)
class Dialect:
    name: str
    label: str
    admdvs: str
    fixmedins_code: str
    url_mode: str                                    # single | paths | infno (client's [platform] url_mode)
    gateway: str                                     # x-tif | csb | x-ca
    account: str                                     # paasid / CSB access key / x-ca-key
    secret: str = field(repr=False, default="")
    infno_prefix: str = ""                           # url_mode "infno": path before "/<infno>"
    variants: dict[str, str] = field(default_factory=dict)   # national infno -> regional infno
    ok_err_msg: str = ""                             # err_msg of a successful answer
    unknown_infno_msg: str = ""                      # "" = the platform's default refusal text
    csb_api_name: str = ""
    csb_api_version: str = "1.0.0"

    @property
    def national_of(self) -> dict[str, str]:
        return {v: k for k, v in self.variants.items()}

    def base_infno(self, wire: str) -> str:
        """The national infno a wire infno stands for (2207A → 2207)."""
        return self.national_of.get(wire, wire)

    def wire_infno(self, national: str) -> str:
        return self.variants.get(national, national)

    def unknown_infno_refusal(self) -> str:
        """The recorded text with its 异常流水号 (real-messages/error-unknown-infno-zjharness.json)."""
        import time

        return f"{self.unknown_infno_msg},异常流水号:{int(time.time() * 1000) % 10**10:010d}"

    def make_gateway(self):
        if self.gateway == "x-ca":
            return XCaGateway({self.account: self.secret})
        if self.gateway == "x-tif":
            return XTifGateway({self.account: self.secret})
        if self.gateway == "csb":
            return CsbGateway({self.account: self.secret})
        return None

    def client_platform_settings(self, url: str) -> dict[str, object]:
        """The ``[platform]`` keys a client needs for this dialect (``url`` = the platform's root URL);
        the same values as resources/config/site.<region>.toml, which a test compares."""
        out: dict[str, object] = {"url": url + self.infno_prefix if self.url_mode == "infno" else url,
                                  "url_mode": self.url_mode, "gateway": self.gateway}
        if self.variants:
            out["infno_map"] = dict(self.variants)
        if self.gateway == "x-tif":
            out["paasid"] = self.account
        elif self.gateway == "csb":
            out.update(access_key=self.account, csb_api_name=self.csb_api_name, csb_api_version=self.csb_api_version)
        elif self.gateway == "x-ca" and self.account != self.fixmedins_code:
            out["xca_key"] = self.account
        return out


DIALECTS: dict[str, Dialect] = {
    "national": Dialect(
        name="national", label="国家标准报文 + x-tif 网关（上海市青浦区）", admdvs="310118",
        fixmedins_code="H31011800001", url_mode="infno", infno_prefix="/ebus/fsi/hsa/hgs",
        gateway="x-tif", account="training-paasid-310118", secret="training-only-xtif-secret-310118"),
    "jiangsu": Dialect(
        name="jiangsu", label="江苏 CSB 网关（苏州市吴江区）", admdvs="320509", fixmedins_code="H32050900001",
        url_mode="single", gateway="csb", account="training-ak-320509", secret="training-only-csb-secret-320509",
        csb_api_name="hsa.fsi.callService", csb_api_version="1.0.0"),
    "zhejiang": Dialect(
        name="zhejiang", label="浙江 x-ca 网关 + 2206A/2207A（嘉兴市嘉善县）", admdvs="330421",
        fixmedins_code="H33042100001", url_mode="paths", gateway="x-ca", account="H33042100001",
        secret="training-only-xca-secret-330421", variants={"2206": "2206A", "2207": "2207A"},
        ok_err_msg="success", unknown_infno_msg="FSI-FSI-交易报文不正确：未知交易编号！"),
}


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"未知的地区报文方言：{name}（可选：{'、'.join(DIALECTS)}）") from None
