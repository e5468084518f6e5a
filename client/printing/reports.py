"""PDF reports: the shift/day-end Z report and the monthly cross-region settlement report.

A4 portrait, drawn on the canvas (same font, determinism and atomic write as the other documents:
``client.printing.common``). Charts come from ``reportlab.graphics`` (VerticalBarChart, Pie) and
are rendered with ``renderPDF.draw`` on a Drawing whose ``initialFontName`` and every label font are
our embedded CJK font, so ``pdffonts`` lists only embedded fonts.

``render_zreport(report, out=None) -> bytes`` and ``render_monthly(report, out=None) -> bytes`` take
the objects built by ``client.services.reports`` (duck-typed: printing does not import services).
"""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from client.domain.codes import payment_method_name
from client.printing.common import money, new_canvas, write_out
from client.printing.fonts import register, string_width

__all__ = ["render_monthly", "render_zreport"]

W, H = A4
MARGIN = 15 * mm
ROW_H = 5.6 * mm
BLUE = colors.HexColor("#2F5D8A")
ORANGE = colors.HexColor("#D9822B")
GREY = colors.HexColor("#EEF2F6")


def _pct(p: Decimal | None) -> str:
    return "—" if p is None else f"{p}%"


class _Page:
    """A tiny table writer with page breaks and a repeated header line."""

    def __init__(self, c, title: str, subtitle: str, footer: str):
        self.c = c
        self.title = title
        self.subtitle = subtitle
        self.footer = footer
        self.page = 0
        self.y = 0.0
        self.font = register()
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        c = self.c
        c.setFont(self.font, 15)
        c.drawCentredString(W / 2, H - MARGIN - 4 * mm, self.title)
        c.setFont(self.font, 9)
        c.drawCentredString(W / 2, H - MARGIN - 10 * mm, self.subtitle)
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.8)
        c.line(MARGIN, H - MARGIN - 13 * mm, W - MARGIN, H - MARGIN - 13 * mm)
        c.setFont(self.font, 7.5)
        c.setFillColor(colors.grey)
        c.drawString(MARGIN, MARGIN - 6 * mm, self.footer)
        c.drawRightString(W - MARGIN, MARGIN - 6 * mm, f"第 {self.page} 页")
        c.setFillColor(colors.black)
        self.y = H - MARGIN - 20 * mm

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.new_page()

    def heading(self, text: str) -> None:
        self.need(ROW_H * 3)
        self.y -= 5 * mm
        self.c.setFont(self.font, 11)
        self.c.setFillColor(BLUE)
        self.c.drawString(MARGIN, self.y, text)
        self.c.setFillColor(colors.black)
        self.y -= 3 * mm

    def table(self, cols: list[tuple[str, float, str]], rows: list[list[str]], *, bold_last: int = 0) -> None:
        """cols: (header, width mm, align 'l'|'r'|'c'); the header repeats after a page break."""
        widths = [w * mm for _, w, _ in cols]

        def line(values: list[str], *, header: bool = False, shade: bool = False, size: float = 8.5) -> None:
            self.need(ROW_H)
            y = self.y - ROW_H
            if header or shade:
                self.c.setFillColor(GREY if shade else colors.HexColor("#DDE6EF"))
                self.c.rect(MARGIN, y, sum(widths), ROW_H, stroke=0, fill=1)
                self.c.setFillColor(colors.black)
            self.c.setStrokeColor(colors.HexColor("#B8C4D0"))
            self.c.setLineWidth(0.3)
            self.c.line(MARGIN, y, MARGIN + sum(widths), y)
            x = MARGIN
            for (_, _, align), w, v in zip(cols, widths, values, strict=True):
                text = str(v)
                fs = size
                while fs > 5.5 and string_width(text, fs) > w - 2 * mm:
                    fs -= 0.5
                self.c.setFont(self.font, fs)
                ty = y + (ROW_H - fs) / 2 + 0.8
                if align == "r":
                    self.c.drawRightString(x + w - 1.2 * mm, ty, text)
                elif align == "c":
                    self.c.drawCentredString(x + w / 2, ty, text)
                else:
                    self.c.drawString(x + 1.2 * mm, ty, text)
                x += w
            self.y = y

        line([h for h, _, _ in cols], header=True)
        for i, r in enumerate(rows):
            if self.y - ROW_H < MARGIN:
                self.new_page()
                line([h for h, _, _ in cols], header=True)
            line(r, shade=bold_last > 0 and i >= len(rows) - bold_last)
        self.y -= 4 * mm

    def text(self, s: str, size: float = 9, color=colors.black) -> None:
        self.need(size * 1.6)
        self.c.setFont(self.font, size)
        self.c.setFillColor(color)
        self.c.drawString(MARGIN, self.y - size, s)
        self.c.setFillColor(colors.black)
        self.y -= size * 1.6

    def drawing(self, d: Drawing, x: float | None = None) -> None:
        self.need(d.height + 2 * mm)
        renderPDF.draw(d, self.c, MARGIN if x is None else x, self.y - d.height)
        self.y -= d.height + 3 * mm


def _inst(rep) -> tuple[str, str]:
    inst = getattr(rep, "institution", None) or {}
    return str(inst.get("fixmedins_name") or ""), str(inst.get("fixmedins_code") or "")


# ---------------------------------------------------------------------------------------------
# Z report
# ---------------------------------------------------------------------------------------------

def render_zreport(rep, out=None) -> bytes:
    """The Z report (日结报表) of ``client.services.reports.zreport``."""
    name, code = _inst(rep)
    buf = io.BytesIO()
    c = new_canvas(buf, A4, f"收费日结报表 {rep.day.isoformat()}")
    who = f"收费员 {rep.operator}" if rep.operator else "全部收费员"
    p = _Page(c, f"{name} 收费日结报表（Z报表）".strip(),
              f"日期 {rep.day.isoformat()}　{who}　机构编码 {code}",
              f"MedSettle 生成于 {rep.generated_at:%Y-%m-%d %H:%M:%S}　金额单位：元")

    p.heading("一、医保结算汇总")
    rows = []
    for label, t in (("结算", rep.settled), ("撤销（冲销）", rep.reversed), ("净额", rep.net)):
        rows.append([label, str(t.count), money(t.medfee_sumamt), money(t.fund_pay_sumamt), money(t.acct_pay),
                     money(t.psn_cash_pay)])
    p.table([("项目", 30, "l"), ("笔数", 18, "r"), ("医疗费总额", 33, "r"), ("基金支付", 33, "r"),
             ("个人账户支付", 33, "r"), ("个人现金支付", 33, "r")], rows, bold_last=1)
    ch, ch_rev = getattr(rep, "chronic", None), getattr(rep, "chronic_reversed", None)
    if ch is not None and (ch.count or ch_rev.count):
        crow = []
        for label, t in (("结算", ch), ("撤销", ch_rev), ("净额", rep.chronic_net)):
            crow.append([f"慢特病{label}", str(t.count), money(t.medfee_sumamt), money(t.fund_pay_sumamt),
                         money(t.acct_pay), money(t.psn_cash_pay)])
        p.text("其中门诊慢特病（医疗类别 14）：", 8.5)
        p.table([("项目", 30, "l"), ("笔数", 18, "r"), ("医疗费总额", 33, "r"), ("基金支付", 33, "r"),
                 ("个人账户支付", 33, "r"), ("个人现金支付", 33, "r")], crow, bold_last=1)
    pr = getattr(rep, "partial_refunds", None) or {}
    if pr.get("count"):
        parts = "，".join(f"{payment_method_name(m)} {money(a)}" for m, a in pr["by_method"].items())
        p.table([("项目", 30, "l"), ("笔数", 18, "r"), ("原个人现金", 33, "r"), ("新个人现金", 33, "r"),
                 ("退款", 33, "r"), ("", 33, "r")],
                [["部分退费", str(pr["count"]), money(pr["old_psn_cash_pay"]), money(pr["new_psn_cash_pay"]),
                  money(pr["refund"]), ""]])
        p.text(f"部分退费 {pr['count']} 笔：原结算计入“撤销”、新结算计入“结算”；退款 {money(pr['refund'])} 元按原支付方式"
               f"退回（{parts or '无'}），现金部分从钱箱付出、计入现金清点。"
               + (f"其中 {pr['open']} 笔尚未全部完成（medsettle refund --resume）。" if pr.get("open") else ""), 8.5)
    if rep.offline_count:
        p.text(f"其中离线结算 {rep.offline_count} 笔（联网后上传确认，差额按退补差额处理）。", 8.5, ORANGE)
    b = getattr(rep, "backsettle", None) or {}
    if b.get("offline_self_pay") or b.get("backsettled") or b.get("all_refunds_owed"):
        p.text(f"离线全自费 {b.get('offline_self_pay', 0)} 笔：待医保补结算 {b.get('queued', 0) + b.get('in_progress', 0)} 笔，"
               f"已补结算 {b.get('backsettled', 0)} 笔，拒绝或放弃补结算 {b.get('refused', 0) + b.get('declined', 0)} 笔"
               "（保持全自费）。", 8.5, ORANGE)
        p.text(f"退还患者医保支付部分：待退 {b.get('refunds_owed', 0)} 笔 {b.get('refunds_owed_amount', '0.00')} 元，"
               f"已退 {b.get('refunds_paid', 0)} 笔 {b.get('refunds_paid_amount', '0.00')} 元"
               f"（各日合计待退 {b.get('all_refunds_owed', 0)} 笔 {b.get('all_refunds_owed_amount', '0.00')} 元）。",
               8.5, ORANGE)

    p.heading("二、按收费员和收款方式")
    mrows = [[m.opter_name, m.opter, m.method_name, str(m.count), money(m.amount)] for m in rep.methods]
    for method, amt in rep.method_totals():
        mrows.append(["合计", "", payment_method_name(method), "", money(amt)])
    mrows.append(["总计", "", "全部方式", str(sum(m.count for m in rep.methods)), money(rep.methods_total)])
    p.table([("收费员", 40, "l"), ("工号", 25, "l"), ("收款方式", 40, "l"), ("笔数", 25, "r"), ("金额（收−退）", 50, "r")],
            mrows, bold_last=len(rep.method_totals()) + 1)

    dep = getattr(rep, "deposits", None) or {}
    if dep.get("taken_count") or dep.get("refunded_count") or dep.get("applied_count"):
        p.text("住院预交金（已计入上表收款方式和下表现金）：", 8.5)
        p.table([("项目", 60, "l"), ("笔数", 30, "r"), ("金额", 50, "r")],
                [["收取预交金", str(dep.get("taken_count", 0)), money(Decimal(dep.get("taken") or "0"))],
                 ["退还预交金", str(dep.get("refunded_count", 0)), money(Decimal(dep.get("refunded") or "0"))],
                 ["预交金冲抵结算（不收付现金）", str(dep.get("applied_count", 0)),
                  money(Decimal(dep.get("applied") or "0"))]])

    p.heading("三、现金清点")
    crows = [[x.opter_name, money(x.float_amt), money(x.cash_net), money(x.expected),
              "未清点" if x.counted is None else money(x.counted),
              "—" if x.difference is None else money(x.difference), x.result] for x in rep.cash]
    if not crows:
        crows = [["（本日无现金业务）", "", "", "", "", "", ""]]
    p.table([("收费员", 30, "l"), ("备用金", 22, "r"), ("现金净收", 25, "r"), ("应有现金", 25, "r"),
             ("实点现金", 25, "r"), ("差额", 22, "r"), ("结果", 31, "c")], crows)
    for x in rep.cash:
        for why in x.reasons:
            p.text(f"长短款说明（{x.opter_name}，差额 {'—' if x.difference is None else money(x.difference)}，"
                   f"交班时已确认）：{why}", 8.5, ORANGE)

    p.heading("四、对账与票据")
    if rep.reconciliation:
        rrows = [[str(r.get("infno", "")), str(r.get("setl_optins", "")), str(r.get("stmt_rslt", "")),
                  str(r.get("stmt_rslt_dscr") or "")] for r in rep.reconciliation]
        p.table([("交易", 20, "l"), ("结算经办机构", 35, "l"), ("对账结果", 30, "l"), ("说明", 95, "l")], rrows)
    else:
        p.text("医保对账（3201 对总账 / 3202 对明细账）：本日尚未对账。请在日结时执行对账后重新打印本报表。", 8.5, ORANGE)
    inv = rep.invoices
    blue = sum(v for k, v in inv.items() if k.startswith("normal:"))
    red = sum(v for k, v in inv.items() if k.startswith("red:"))
    waiting = sum(v for k, v in inv.items() if k.endswith(":allocated"))
    failed = sum(v for k, v in inv.items() if k.endswith(":failed"))
    p.text(f"电子票据：开具 {blue} 张，红字冲红 {red} 张；待上传 {waiting} 张，被拒 {failed} 张。", 9)
    if rep.outbox_unresolved:
        p.text(f"注意：还有 {rep.outbox_unresolved} 笔业务未上传或待处理，日结前请联网上传（medsettle recover）。", 9, ORANGE)
    chans = getattr(rep, "pay_channels", None) or []
    st = getattr(rep, "pay_statement", None)
    if chans or st:
        p.heading("五、付款码（聚合支付）")
        prow = [[c["channel_name"], str(c["paid_count"]), money(Decimal(c["paid_amount"])), money(Decimal(c["refunded"])),
                 str(c["not_taken"])] for c in chans] or [["（本日无付款码收款）", "", "", "", ""]]
        p.table([("渠道", 40, "l"), ("扣款笔数", 25, "r"), ("扣款金额", 35, "r"), ("已退款", 35, "r"),
                 ("未扣款（欠费）", 45, "r")], prow)
        if st is None:
            p.text("聚合支付对账单：本日尚未对账（medsettle payments statement）。", 8.5, ORANGE)
        elif st.get("reconciled"):
            p.text(f"聚合支付对账单 {st.get('bill_date')}：逐笔核对一致。", 9)
        else:
            p.text(f"聚合支付对账单 {st.get('bill_date')}：{len(st.get('differences') or [])} 处差异。", 9, ORANGE)
            for df in (st.get("differences") or [])[:20]:
                p.text(f"差异：{df.get('text')}", 8.5, ORANGE)
    p.y -= 8 * mm
    p.text("收费员签字：________________　　　　复核人签字：________________　　　　日期：____________", 9)
    c.showPage()
    c.save()
    return write_out(buf.getvalue(), out)


# ---------------------------------------------------------------------------------------------
# Monthly cross-region report
# ---------------------------------------------------------------------------------------------

def _bar_chart(rows, font: str) -> Drawing:
    d = Drawing(W - 2 * MARGIN, 72 * mm)
    d.initialFontName = font
    d.add(String(0, d.height - 9, "医疗费总额与基金支付（元），按参保地", fontName=font, fontSize=9))
    ch = VerticalBarChart()
    ch.x, ch.y = 16 * mm, 14 * mm
    ch.width, ch.height = d.width - 22 * mm, d.height - 30 * mm
    # floats only as plot coordinates (the figures themselves are printed from Decimal in the table)
    ch.data = [[float(r.medfee_sumamt) for r in rows] or [0.0], [float(r.fund_pay_sumamt) for r in rows] or [0.0]]
    ch.categoryAxis.categoryNames = [r.region_name for r in rows] or ["—"]
    ch.categoryAxis.labels.fontName = font
    ch.categoryAxis.labels.fontSize = 6.5 if len(rows) <= 8 else 5
    ch.categoryAxis.labels.angle = 0 if len(rows) <= 6 else 30
    ch.categoryAxis.labels.boxAnchor = "n" if len(rows) <= 6 else "ne"
    ch.valueAxis.labels.fontName = font
    ch.valueAxis.labels.fontSize = 6.5
    ch.valueAxis.valueMin = 0
    ch.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    ch.bars[0].fillColor = BLUE
    ch.bars[1].fillColor = ORANGE
    ch.barLabels.fontName = font
    d.add(ch)
    lg = Legend()
    lg.fontName = font
    lg.fontSize = 7
    lg.x, lg.y = d.width - 48 * mm, d.height - 4
    lg.colorNamePairs = [(BLUE, "医疗费总额"), (ORANGE, "基金支付")]
    lg.alignment = "right"
    lg.columnMaximum = 1
    d.add(lg)
    return d


def _pie(total, font: str) -> Drawing:
    d = Drawing(85 * mm, 56 * mm)
    d.initialFontName = font
    d.add(String(0, d.height - 9, "联网结算与离线结算（笔数）", fontName=font, fontSize=9))
    pie = Pie()
    pie.x, pie.y = 6 * mm, 4 * mm
    pie.width = pie.height = 38 * mm
    on, off = total.online_count, total.offline_count
    pie.data = [on, off] if on + off else [1]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices[0].fillColor = BLUE
    if on + off:
        pie.slices[1].fillColor = ORANGE
    pie.slices.fontName = font
    d.add(pie)
    lg = Legend()
    lg.fontName = font
    lg.fontSize = 7.5
    lg.x, lg.y = 50 * mm, 32 * mm
    lg.colorNamePairs = [(BLUE, f"联网 {on} 笔"), (ORANGE, f"离线 {off} 笔")]
    lg.alignment = "right"
    d.add(lg)
    d.add(String(50 * mm, 14 * mm, f"联网结算率 {_pct(total.online_rate)}", fontName=font, fontSize=8.5))
    return d


def render_monthly(rep, out=None) -> bytes:
    """The monthly cross-region settlement report of ``client.services.reports.monthly``."""
    font = register()
    name, code = _inst(rep)
    buf = io.BytesIO()
    c = new_canvas(buf, A4, f"异地就医结算月报 {rep.month}")
    p = _Page(c, f"{name} 异地就医直接结算月报".strip(), f"月份 {rep.month}　机构编码 {code}　按参保地统计",
              f"MedSettle 生成于 {rep.generated_at:%Y-%m-%d %H:%M:%S}　金额单位：元　"
              "联网结算率 = 联网结算笔数 ÷ 结算笔数")
    cols = [("参保地", 30, "l"), ("区划", 14, "l"), ("类别", 16, "c"), ("笔数", 12, "r"), ("医疗费总额", 27, "r"),
            ("基金支付", 25, "r"), ("基金占比", 17, "r"), ("联网", 11, "r"), ("离线", 11, "r"), ("联网结算率", 17, "r")]
    rows = [[r.region_name, r.insuplc_admdvs, r.locality, str(r.count), money(r.medfee_sumamt),
             money(r.fund_pay_sumamt), _pct(r.fund_share), str(r.online_count), str(r.offline_count),
             _pct(r.online_rate)] for r in rep.rows]
    for t in (rep.cross_region, rep.total):
        rows.append([t.region_name, "", "", str(t.count), money(t.medfee_sumamt), money(t.fund_pay_sumamt),
                     _pct(t.fund_share), str(t.online_count), str(t.offline_count), _pct(t.online_rate)])
    p.heading("一、按参保地汇总（已撤销的结算不计入）")
    p.table(cols, rows, bold_last=2)
    if rep.reversed_count:
        p.text(f"本月另有 {rep.reversed_count} 笔结算已撤销，未计入上表。", 8.5, ORANGE)
    p.heading("二、图表")
    chart_rows = rep.rows[:12]
    p.drawing(_bar_chart(chart_rows, font))
    if len(rep.rows) > 12:
        p.text(f"柱状图显示医疗费总额最高的 12 个参保地，其余 {len(rep.rows) - 12} 个见上表。", 8)
    p.drawing(_pie(rep.total, font))
    c.showPage()
    c.save()
    return write_out(buf.getvalue(), out)
