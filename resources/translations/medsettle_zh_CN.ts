<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AdjustmentsDialog</name>
    <message>
        <source>Adjustment records (refunds / supplements)</source>
        <translation>退补差额记录</translation>
    </message>
    <message>
        <source>No adjustment records.</source>
        <translation>没有退补记录。</translation>
    </message>
    <message>
        <source>Settlement</source>
        <translation>结算</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Paid out / taken by</source>
        <translation>退/补方式</translation>
    </message>
    <message>
        <source>Mark done (money refunded / collected)</source>
        <translation>标记已办结（已退款/已补收）</translation>
    </message>
    <message>
        <source>Refund to patient</source>
        <translation>退还患者</translation>
    </message>
    <message>
        <source>Collect from patient</source>
        <translation>向患者补收</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待处理</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已办结</translation>
    </message>
    <message>
        <source>Select a pending record first.</source>
        <translation>请先选中一条待处理的记录。</translation>
    </message>
</context>
<context>
    <name>AmountDialog</name>
    <message>
        <source>Type an amount greater than 0.</source>
        <translation>请输入大于0的金额。</translation>
    </message>
</context>
<context>
    <name>CardPickerDialog</name>
    <message>
        <source>Training card reader: insert a card</source>
        <translation>培训读卡器：插入社保卡</translation>
    </message>
    <message>
        <source>Training mode has no physical reader. Pick the card to insert (↑/↓, Enter).</source>
        <translation>培训模式没有实体读卡器。请选择要插入的社保卡（↑/↓ 选择，回车确认）。</translation>
    </message>
    <message>
        <source>Insert card</source>
        <translation>插卡</translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <source>Change your password</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>%1: this is the first sign-in with an initial password. Set your own password to continue.</source>
        <translation>%1：这是使用初始密码的首次登录，请设置您自己的新密码后继续。</translation>
    </message>
    <message>
        <source>At least %1 characters, not only digits, not your operator code, not the initial password.</source>
        <translation>新密码至少 %1 位，不能全是数字，不能与工号相同，不能与初始密码相同。</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>Training mode: any password that follows the rules, e.g. your own practice password; remember it for the next sign-in.</source>
        <translation>培训模式：任意符合规则的密码均可（例如您自己的练习密码），请记住，下次登录要用新密码。</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>Enter the new password twice.</source>
        <translation>请把新密码输入两次。</translation>
    </message>
    <message>
        <source>The two passwords differ; type the new password again.</source>
        <translation>两次输入的密码不一致，请重新输入新密码。</translation>
    </message>
</context>
<context>
    <name>ChargesModel</name>
    <message>
        <source>No.</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>项目名称</translation>
    </message>
    <message>
        <source>Spec</source>
        <translation>规格</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>等级</translation>
    </message>
    <message>
        <source>Self-pay %</source>
        <translation>自付比例</translation>
    </message>
    <message>
        <source>Self-paid</source>
        <translation>全自费</translation>
    </message>
    <message>
        <source>Over limit</source>
        <translation>超限价</translation>
    </message>
    <message>
        <source>Co-pay first</source>
        <translation>先行自付</translation>
    </message>
    <message>
        <source>Covered</source>
        <translation>符合范围</translation>
    </message>
    <message>
        <source>Class A: fully within the insurance scope</source>
        <translation>甲类：全部纳入医保支付范围</translation>
    </message>
    <message>
        <source>Class B: the patient pays the self-pay ratio first</source>
        <translation>乙类：患者先按自付比例自付后纳入医保</translation>
    </message>
    <message>
        <source>Class C: not covered, paid by the patient in full</source>
        <translation>丙类：不属于医保支付范围，患者全额自费</translation>
    </message>
</context>
<context>
    <name>DayworkMixin</name>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>OFFLINE</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Recovering</source>
        <translation>恢复中</translation>
    </message>
    <message>
        <source>Partly down</source>
        <translation>部分异常</translation>
    </message>
    <message>
        <source>insurance centre</source>
        <translation>医保中心</translation>
    </message>
    <message>
        <source>HIS</source>
        <translation>HIS</translation>
    </message>
    <message>
        <source>e-invoice platform</source>
        <translation>电子票据平台</translation>
    </message>
    <message>
        <source>Outbox %1</source>
        <translation>待上传 %1</translation>
    </message>
    <message>
        <source>refused %1</source>
        <translation>被拒 %1</translation>
    </message>
    <message>
        <source>unknown %1</source>
        <translation>待确认 %1</translation>
    </message>
    <message>
        <source>to back-settle %1</source>
        <translation>待补结算 %1</translation>
    </message>
    <message>
        <source>Cache %1 h old</source>
        <translation>缓存 %1 小时前</translation>
    </message>
    <message>
        <source>No cache</source>
        <translation>无缓存</translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation>尚未同步</translation>
    </message>
    <message>
        <source>Recovery: confirming unknown results and sending queued items…</source>
        <translation>启动恢复：正在确认结果未知的结算并上传待传业务…</translation>
    </message>
    <message>
        <source>Start-up recovery could not run: %1
Do not close the shift; Synchronise (Ctrl+S) when the insurance centre is reachable.</source>
        <translation>启动恢复未能执行：%1
请勿交班；医保中心可连接后按 Ctrl+S 同步。</translation>
    </message>
    <message>
        <source>Items remain unresolved: do not settle these patients again; the shift cannot be closed until they are resolved.</source>
        <translation>仍有未解决的业务：不要为这些患者重复结算；处理完毕前不能交班。</translation>
    </message>
    <message>
        <source>Offline settlements sent to the insurance centre: %1.</source>
        <translation>离线结算已补传医保中心：%1 笔。</translation>
    </message>
    <message>
        <source>Insurance settled afterwards (医保补结算) for %1 offline self-pay visit(s); refund the fund&apos;s share to the patients (adjustment records, Ctrl+J).</source>
        <translation>已为 %1 笔离线全自费就诊办理医保补结算；请将医保支付部分退还患者（退补记录，Ctrl+J）。</translation>
    </message>
    <message>
        <source>The insurance centre refused 补结算 of %1 visit(s); they stay full self-pay with the reason recorded (medsettle offline list).</source>
        <translation>医保中心拒绝了 %1 笔补结算，保持全自费，原因已记录（medsettle offline list）。</translation>
    </message>
    <message>
        <source>The insurance centre refused %1 offline settlement(s); they wait for the insurance office (the shift cannot be closed until resolved).</source>
        <translation>医保中心拒绝了 %1 笔离线结算，已转待人工处理（请联系医保办；处理完毕前不能交班）。</translation>
    </message>
    <message>
        <source>refund ¥ %1</source>
        <translation>应退还患者 ¥ %1</translation>
    </message>
    <message>
        <source>collect ¥ %1</source>
        <translation>应向患者补收 ¥ %1</translation>
    </message>
    <message>
        <source>The insurance centre&apos;s result differs from the offline settlement — adjustment records created (Ctrl+J):</source>
        <translation>医保中心结算结果与离线结算不一致，已生成退补差额记录（Ctrl+J 查看并办理）：</translation>
    </message>
    <message>
        <source>OFFLINE: the e-voucher cannot be read without the insurance centre. Ask for the social security card (F2) or the ID number (F3) to settle offline (离线应急结算).</source>
        <translation>离线：医保中心连接中断，医保电子凭证无法识别。请患者出示社保卡（F2 读卡）或提供身份证号（F3 输入），按离线应急结算办理。</translation>
    </message>
    <message>
        <source>Identifying from the local cache (offline)…</source>
        <translation>正在从本机缓存识别患者（离线）…</translation>
    </message>
    <message>
        <source>OFFLINE EMERGENCY SETTLEMENT — patient from this window&apos;s cache. Add the charges (Ctrl+F search, F4 HIS), F5 shows the provisional amount, F9 settles; the insurance centre&apos;s result is final and differences are refunded/collected later.</source>
        <translation>离线应急结算：患者信息来自本窗口缓存。请录入费用（Ctrl+F 搜索目录，F4 取 HIS 费用），F5 显示临时结算金额，F9 结算；以医保中心结算为准，差额日后退补。</translation>
    </message>
    <message>
        <source>Offline: patient identified from the cache.</source>
        <translation>离线：已从缓存识别患者。</translation>
    </message>
    <message>
        <source>Added %1.</source>
        <translation>已添加 %1。</translation>
    </message>
    <message>
        <source>Adding the item…</source>
        <translation>正在添加项目…</translation>
    </message>
    <message>
        <source>The case already has charges; cancel it (Esc) to take other bills.</source>
        <translation>本次已有费用明细；要改取其他单据，请先取消（Esc）。</translation>
    </message>
    <message>
        <source>The HIS has no unpaid outpatient bill for this patient. Add the items with the catalogue search (Ctrl+F).</source>
        <translation>HIS 中没有该患者待缴费的门诊单据。请用目录搜索（Ctrl+F）录入项目。</translation>
    </message>
    <message>
        <source>%1 charge lines from the HIS. F5 shows the amount due.</source>
        <translation>已从 HIS 取得 %1 条费用明细。按 F5 显示应收金额。</translation>
    </message>
    <message>
        <source>Pricing the bills…</source>
        <translation>正在计价…</translation>
    </message>
    <message>
        <source>Fetching the bills from the HIS…</source>
        <translation>正在从 HIS 取待缴费单据…</translation>
    </message>
    <message>
        <source>Totalling the full self-pay…</source>
        <translation>正在计算全自费金额…</translation>
    </message>
    <message>
        <source>OFFLINE · FULL SELF-PAY (全自费) — the patient pays the whole amount; when the insurance centre is back the visit is settled afterwards (医保补结算) and the fund&apos;s share is refunded to the patient.</source>
        <translation>离线·全自费 —— 患者全额自付；医保中心恢复后办理医保补结算，医保支付部分退还患者。</translation>
    </message>
    <message>
        <source>OFFLINE · FULL SELF-PAY (全自费) — not an insurance settlement; the receipt is the proof for reimbursement at the insured place.</source>
        <translation>离线·全自费 —— 非医保结算；患者可凭票据到参保地医保经办机构申请报销。</translation>
    </message>
    <message>
        <source>Charge the whole amount ¥ %1 as full self-pay (全自费)? The visit is settled with the insurance afterwards (医保补结算) when the insurance centre is back and the fund&apos;s share is refunded to the patient. Otherwise wait until the insurance centre is back.</source>
        <translation>按全自费收取全部金额 ¥ %1？医保中心恢复后办理医保补结算，医保支付部分退还患者。也可等待医保中心恢复后再结算。</translation>
    </message>
    <message>
        <source>SETTLED AS FULL SELF-PAY (全自费收据) — queued for 医保补结算; the fund&apos;s share is refunded when the insurance centre is back.</source>
        <translation>已按全自费收费（全自费收据）—— 已列入医保补结算；医保中心恢复后退还医保支付部分。</translation>
    </message>
    <message>
        <source>Settled. Esc: next patient.</source>
        <translation>已结算。按 Esc 接待下一位患者。</translation>
    </message>
    <message>
        <source>Computing the provisional offline settlement…</source>
        <translation>正在计算离线临时结算…</translation>
    </message>
    <message>
        <source>not insured / no insurance record</source>
        <translation>未参保或查询不到参保信息</translation>
    </message>
    <message>
        <source>insurance suspended (暂停参保)</source>
        <translation>暂停参保（不能享受医保待遇）</translation>
    </message>
    <message>
        <source>refused by the insurance centre</source>
        <translation>医保中心拒绝医保结算</translation>
    </message>
    <message>
        <source>the patient does not use the insurance</source>
        <translation>患者本人不使用医保</translation>
    </message>
    <message>
        <source>other reason</source>
        <translation>其他原因</translation>
    </message>
    <message>
        <source>OFFLINE · PROVISIONAL (离线·临时结算) — the insurance centre&apos;s result is final; any difference is refunded or collected later. The personal account is not used offline.</source>
        <translation>离线·临时结算：金额以医保中心结算为准，如有差额将退补；离线时不使用个人账户。</translation>
    </message>
    <message>
        <source>• no cached policy for the insured place</source>
        <translation>• 本机没有参保地待遇政策包</translation>
    </message>
    <message>
        <source>Offline insurance settlement is not possible:</source>
        <translation>不能离线医保结算：</translation>
    </message>
    <message>
        <source>Charge the whole amount ¥ %1 as full self-pay (全自费)? The patient can claim reimbursement at the insured place with the receipt. Otherwise wait until the insurance centre is back.</source>
        <translation>是否按全自费收取全部费用 ¥ %1？患者可凭票据到参保地医保经办机构申请报销。也可等待医保中心恢复后再结算。</translation>
    </message>
    <message>
        <source>Offline limits exceeded</source>
        <translation>超出离线结算条件</translation>
    </message>
    <message>
        <source>Full self-pay</source>
        <translation>按全自费收取</translation>
    </message>
    <message>
        <source>Wait</source>
        <translation>等待恢复</translation>
    </message>
    <message>
        <source>FULL SELF-PAY (全自费) — not an insurance settlement; the receipt is the proof for reimbursement at the insured place.</source>
        <translation>全自费：不是医保结算，票据作为到参保地申请报销的凭证。</translation>
    </message>
    <message>
        <source>Offline: amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation>离线：应收 ¥ %1。输入实收金额后按回车或 F9。</translation>
    </message>
    <message>
        <source>FULL SELF-PAY (转自费) — no insurance transaction is sent; the patient pays ¥ %1.</source>
        <translation>全自费（转自费）——不发送医保交易，患者支付 ¥ %1。</translation>
    </message>
    <message>
        <source>Full self-pay: amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation>全自费：应收 ¥ %1。输入实收金额后按 Enter 或 F9。</translation>
    </message>
    <message>
        <source>The charges are already with the insurance centre. Cancel the case (Esc), identify the patient again and choose self-pay (F8) before F5.</source>
        <translation>费用已上传医保中心。请先取消本次（Esc），重新识别患者，在预结算（F5）之前选择转自费（F8）。</translation>
    </message>
    <message>
        <source>FULL SELF-PAY (转自费): %1. F4 takes the HIS bills (or Ctrl+F adds items), F5 shows the amount due, F9 takes the payment. Nothing is sent to the insurance centre.</source>
        <translation>转自费（全自费）：%1。F4 取 HIS 单据（或 Ctrl+F 录入项目），F5 显示应收，F9 收款。不向医保中心发送任何交易。</translation>
    </message>
    <message>
        <source>Settling as full self-pay…</source>
        <translation>正在按全自费收费…</translation>
    </message>
    <message>
        <source>Settling offline…</source>
        <translation>正在离线结算…</translation>
    </message>
    <message>
        <source>SETTLED AS FULL SELF-PAY (全自费) — not sent to the insurance centre.</source>
        <translation>已按全自费收费，不上传医保中心。</translation>
    </message>
    <message>
        <source>SETTLED OFFLINE (离线结算, provisional) — queued; sent when the insurance centre is back.</source>
        <translation>离线结算完成（临时）：已排队，医保中心恢复后自动补传。</translation>
    </message>
    <message>
        <source>Shift %1 opened, opening float ¥ %2.</source>
        <translation>班次 %1 已开班，备用金 ¥ %2。</translation>
    </message>
    <message>
        <source>Preparing the shift close…</source>
        <translation>正在准备交班…</translation>
    </message>
    <message>
        <source>Force the shift close</source>
        <translation>强制交班</translation>
    </message>
    <message>
        <source>Closing the shift and reconciling with the insurance centre…</source>
        <translation>正在交班并与医保中心对账…</translation>
    </message>
    <message>
        <source>Shift closed.</source>
        <translation>已交班。</translation>
    </message>
    <message>
        <source>FORCED by supervisor %1 with open items.</source>
        <translation>存在未处理业务，由组长 %1 授权强制交班。</translation>
    </message>
    <message>
        <source>%1: expected ¥ %2, counted ¥ %3, difference ¥ %4</source>
        <translation>%1：应有 ¥ %2，实点 ¥ %3，差额 ¥ %4</translation>
    </message>
    <message>
        <source>Over/short confirmed: %1</source>
        <translation>长短款已确认：%1</translation>
    </message>
    <message>
        <source>Reconciliation with the insurance centre (3201/3202): balanced, %1 records.</source>
        <translation>与医保中心对账（3201/3202）：平，共 %1 笔。</translation>
    </message>
    <message>
        <source>Reconciliation NOT balanced — settlements to check:</source>
        <translation>对账不平，请核对以下结算：</translation>
    </message>
    <message>
        <source>Reconciliation not done: %1</source>
        <translation>未完成对账：%1</translation>
    </message>
    <message>
        <source>Reconciliation not done (offline); reconcile when the insurance centre is back.</source>
        <translation>离线，未对账；请在医保中心恢复后对账。</translation>
    </message>
    <message>
        <source>Z report: %1</source>
        <translation>日结报表：%1</translation>
    </message>
</context>
<context>
    <name>DepositDialog</name>
    <message>
        <source>Take a deposit</source>
        <translation>交预交金</translation>
    </message>
    <message>
        <source>Type the deposit amount and press Enter. Then type the cash handed over and press Enter — or SCAN the patient&apos;s payment code.</source>
        <translation>输入预交金金额后按回车；再输入患者交来的现金按回车——或扫描患者的付款码。</translation>
    </message>
    <message>
        <source>empty = exactly the amount</source>
        <translation>不填 = 与金额相同</translation>
    </message>
    <message>
        <source>Deposit amount</source>
        <translation>预交金金额</translation>
    </message>
    <message>
        <source>Cash tendered</source>
        <translation>实收现金</translation>
    </message>
    <message>
        <source>Take in cash</source>
        <translation>收现金</translation>
    </message>
    <message>
        <source>Type the deposit amount first (greater than 0).</source>
        <translation>请先输入预交金金额（大于0）。</translation>
    </message>
    <message>
        <source>The cash tendered (¥ %1) is less than the deposit (¥ %2).</source>
        <translation>实收现金（¥ %1）少于预交金（¥ %2）。</translation>
    </message>
    <message>
        <source>That was not a payment code. Ask the patient to open the payment code (微信/支付宝/云闪付) and scan it.</source>
        <translation>扫到的不是付款码。请患者打开付款码（微信/支付宝/云闪付）后再扫。</translation>
    </message>
</context>
<context>
    <name>DiseasePickerDialog</name>
    <message>
        <source>Chronic/special disease: choose the disease</source>
        <translation>门诊慢特病：选择病种</translation>
    </message>
    <message>
        <source>The patient has several chronic-disease filings valid today. Choose the disease of this visit (↑/↓, Enter).</source>
        <translation>该患者今日有多个有效的慢特病备案，请选择本次就诊的病种（↑/↓ 选择，回车确认）。</translation>
    </message>
    <message>
        <source>Choose</source>
        <translation>选择</translation>
    </message>
</context>
<context>
    <name>FinanceDialog</name>
    <message>
        <source>Hospital finance</source>
        <extracomment>emitted when a load or a reconciliation finished (tests wait on it): &quot;summary&quot; | &quot;reconcile&quot;</extracomment>
        <translation>全院财务</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Refresh (F5)</source>
        <translation>刷新 (F5)</translation>
    </message>
    <message>
        <source>Reconcile the hospital (F9)</source>
        <translation>全院对账 (F9)</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation>收款方式</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>笔数</translation>
    </message>
    <message>
        <source>Amount (yuan)</source>
        <translation>金额（元）</translation>
    </message>
    <message>
        <source>All windows</source>
        <translation>全院合计</translation>
    </message>
    <message>
        <source>Open items: %1 unknown outcomes, %2 entries not yet replicated, %3 invoices waiting, %4 shares owed, %5 partial refunds unfinished; deposits held for %6 in-stay patients: ¥ %7</source>
        <translation>未结事项：结果未知 %1 笔，未补传 %2 条，票据待处理 %3 张，待收款 %4 笔，部分退费未完成 %5 笔；在院预交金 %6 人，余额 ¥ %7</translation>
    </message>
    <message>
        <source>Not reconciled yet.</source>
        <translation>尚未对账。</translation>
    </message>
    <message>
        <source>Reconciled: balanced</source>
        <translation>对账：平</translation>
    </message>
    <message>
        <source>Reconciled: NOT balanced</source>
        <translation>对账：不平</translation>
    </message>
    <message>
        <source>Hospital reconciliation balanced: %1 records.</source>
        <translation>全院对账平：%1 笔记录。</translation>
    </message>
    <message>
        <source>Hospital reconciliation NOT balanced: %1 records.</source>
        <translation>全院对账不平：%1 笔记录。</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>MedSettle first start</source>
        <translation>MedSettle 首次启动</translation>
    </message>
    <message>
        <source>This computer has no site configuration yet.

Start in training mode to practise with the built-in training platform (上海市青浦区培训医院, nothing is sent to the real insurance centre), or enter the site settings given by the IT department.</source>
        <translation>本机还没有站点配置。

可进入培训模式，用内置培训平台练习（上海市青浦区培训医院，不会向真实医保中心发送任何数据）；或录入信息科提供的站点设置。</translation>
    </message>
    <message>
        <source>Training mode (T)</source>
        <translation>培训模式 (T)</translation>
    </message>
    <message>
        <source>Enter site settings (S)</source>
        <translation>录入站点设置 (S)</translation>
    </message>
    <message>
        <source>Quit (Esc)</source>
        <translation>退出 (Esc)</translation>
    </message>
</context>
<context>
    <name>HisBillsDialog</name>
    <message>
        <source>Unpaid HIS bills</source>
        <translation>HIS 待缴费单据</translation>
    </message>
    <message>
        <source>The patient has %1 unpaid bills. Tick the ones to pay now (Space), then Enter.</source>
        <translation>该患者有 %1 张待缴费单据。用空格键勾选本次缴费的单据，再按 Enter。</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>科室</translation>
    </message>
    <message>
        <source>Doctor</source>
        <translation>医生</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Bill no.</source>
        <translation>单据号</translation>
    </message>
    <message>
        <source>Visit type</source>
        <translation>医疗类别</translation>
    </message>
    <message>
        <source>Take the ticked bills</source>
        <translation>收取已勾选的单据</translation>
    </message>
    <message>
        <source>%1 bill(s) ticked, total ¥ %2</source>
        <translation>已勾选 %1 张，合计 ¥ %2</translation>
    </message>
    <message>
        <source>Tick at least one bill (Space).</source>
        <translation>请至少勾选一张单据（空格键）。</translation>
    </message>
</context>
<context>
    <name>HospitalMixin</name>
    <message>
        <source>Hospital store: %1 waiting (unreachable)</source>
        <translation>医院库：积压 %1 条（连不上）</translation>
    </message>
    <message>
        <source>Hospital store: %1 waiting</source>
        <translation>医院库：积压 %1 条</translation>
    </message>
    <message>
        <source>Hospital store: up to date</source>
        <translation>医院库：已同步</translation>
    </message>
</context>
<context>
    <name>IdEntryDialog</name>
    <message>
        <source>Identify by ID number (F3)</source>
        <translation>身份证号识别 (F3)</translation>
    </message>
    <message>
        <source>Type the 18-character resident ID number, or scan the e-voucher now.</source>
        <translation>请输入18位居民身份证号，或直接扫描医保电子凭证。</translation>
    </message>
    <message>
        <source>Identify</source>
        <translation>识别</translation>
    </message>
    <message>
        <source>%1 of 18 characters</source>
        <translation>已输入 %1 / 18 位</translation>
    </message>
    <message>
        <source>male</source>
        <translation>男</translation>
    </message>
    <message>
        <source>female</source>
        <translation>女</translation>
    </message>
    <message>
        <source>Valid: born %1, %2, age %3</source>
        <translation>校验通过：出生 %1，%2，%3 岁</translation>
    </message>
</context>
<context>
    <name>InpatientScreen</name>
    <message>
        <source>Inpatient — admission, deposits, daily fees, discharge</source>
        <translation>住院 — 入院登记、预交金、每日费用、出院结算</translation>
    </message>
    <message>
        <source>In-stay patients</source>
        <translation>在院患者</translation>
    </message>
    <message>
        <source>Inpatient no. or name (Ctrl+F), ↑/↓ to choose</source>
        <translation>住院号或姓名（Ctrl+F），↑/↓ 选择</translation>
    </message>
    <message>
        <source>Inpatient no.</source>
        <translation>住院号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>余额</translation>
    </message>
    <message>
        <source>Fees by day (HIS)</source>
        <translation>每日费用（HIS）</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>住院日</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>HIS amount</source>
        <translation>HIS 金额</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <source>Not uploaded</source>
        <translation>未上传</translation>
    </message>
    <message>
        <source>No stay chosen.</source>
        <translation>未选择住院记录。</translation>
    </message>
    <message>
        <source>Deposit ledger</source>
        <translation>预交金台账</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>收据号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Settlement: F9 pre-settles (mid-stay while in the ward, final after discharge).</source>
        <translation>结算：F9 预结算（在院为中途结算，出院后为出院结算）。</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>医疗费总额</translation>
    </message>
    <message>
        <source>Fund</source>
        <translation>基金支付</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>个人账户</translation>
    </message>
    <message>
        <source>Patient cash share</source>
        <translation>个人现金支付</translation>
    </message>
    <message>
        <source>Deposit balance</source>
        <translation>预交金余额</translation>
    </message>
    <message>
        <source>Deposit applied</source>
        <translation>预交金抵扣</translation>
    </message>
    <message>
        <source>To collect</source>
        <translation>补收</translation>
    </message>
    <message>
        <source>Refund to patient</source>
        <translation>退还患者</translation>
    </message>
    <message>
        <source>Cash tendered (for the rest)</source>
        <translation>补收实收现金</translation>
    </message>
    <message>
        <source>cash handed over, Enter settles — or scan a payment code</source>
        <translation>输入实收现金按回车结算——或扫付款码</translation>
    </message>
    <message>
        <source>Admit</source>
        <translation>入院登记</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>信息变更</translation>
    </message>
    <message>
        <source>Deposit</source>
        <translation>交预交金</translation>
    </message>
    <message>
        <source>Refund deposit</source>
        <translation>退预交金</translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation>打印收据</translation>
    </message>
    <message>
        <source>Upload day</source>
        <translation>上传当日费用</translation>
    </message>
    <message>
        <source>Upload all</source>
        <translation>上传全部费用</translation>
    </message>
    <message>
        <source>Cancel fees</source>
        <translation>撤销费用</translation>
    </message>
    <message>
        <source>Settle</source>
        <translation>结算</translation>
    </message>
    <message>
        <source>Discharge</source>
        <translation>出院</translation>
    </message>
    <message>
        <source>Reverse settlement</source>
        <translation>撤销结算</translation>
    </message>
    <message>
        <source>Cancel admission</source>
        <translation>撤销入院</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Wait a moment: the screen is still busy (%1).</source>
        <translation>请稍候：正在处理（%1）。</translation>
    </message>
    <message>
        <source>Insurance centre message: %1</source>
        <translation>医保中心信息：%1</translation>
    </message>
    <message>
        <source>The result is UNKNOWN: do not repeat it and do not take money twice. Synchronise (Ctrl+S at the counter) runs the recovery.</source>
        <translation>结果未知：请勿重复操作，不要重复收款。在收费主窗口按 Ctrl+S 同步，将执行恢复处理。</translation>
    </message>
    <message>
        <source>Internal error: the step was not completed and the error was logged.</source>
        <translation>内部错误：本步骤未完成，错误已记录到日志。</translation>
    </message>
    <message>
        <source>At the counter: %1 (%2). F2 admits this patient.</source>
        <translation>收费窗口当前患者：%1（%2）。F2 为其办理入院登记。</translation>
    </message>
    <message>
        <source>No patient identified at the counter: identify first (scan / F2 card / F3 ID) to admit.</source>
        <translation>收费窗口尚未识别患者：办理入院前请先识别（扫码 / F2 读卡 / F3 证件号）。</translation>
    </message>
    <message>
        <source>Reading the in-stay patients…</source>
        <translation>正在读取在院患者…</translation>
    </message>
    <message>
        <source>HIS fees could not be read: %1</source>
        <translation>无法读取 HIS 住院费用：%1</translation>
    </message>
    <message>
        <source>Reading the stay…</source>
        <translation>正在读取住院记录…</translation>
    </message>
    <message>
        <source>No stay chosen. F2 admits the patient identified at the counter.</source>
        <translation>未选择住院记录。F2 为收费窗口已识别的患者办理入院登记。</translation>
    </message>
    <message>
        <source>%1  %2  Inpatient no. %3  [%4]
%5 bed %6 · doctor %7 · %8 %9 · admitted %10%11</source>
        <translation>%1  %2  住院号 %3  【%4】
%5 床位 %6 · 主治医生 %7 · %8 %9 · 入院 %10%11</translation>
    </message>
    <message>
        <source>, discharged %1</source>
        <translation>，出院 %1</translation>
    </message>
    <message>
        <source>Deposit: taken ¥ %1 − refunded ¥ %2 − applied ¥ %3 = balance ¥ %4   ·   fees uploaded ¥ %5 (%6 lines), not yet settled ¥ %7</source>
        <translation>预交金：交 ¥ %1 − 退 ¥ %2 − 冲抵 ¥ %3 = 余额 ¥ %4&#x3000;·&#x3000;已上传费用 ¥ %5（%6 条），未结算 ¥ %7</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>结果未知</translation>
    </message>
    <message>
        <source>Identify the patient at the counter first (scan the e-voucher, F2 card, F3 ID), then open 住院 (Ctrl+H) and press F2.</source>
        <translation>请先在收费窗口识别患者（扫医保码、F2 读卡、F3 证件号），再打开住院（Ctrl+H）按 F2。</translation>
    </message>
    <message>
        <source>Reading the admission from the HIS…</source>
        <translation>正在从 HIS 读取入院信息…</translation>
    </message>
    <message>
        <source>From the HIS: inpatient no. %1. Check and press Enter through the fields.</source>
        <translation>已从 HIS 带入：住院号 %1。请核对，逐项按回车。</translation>
    </message>
    <message>
        <source>The HIS has no admission for this patient (%1): type it.</source>
        <translation>HIS 中没有该患者的入院信息（%1）：请手工录入。</translation>
    </message>
    <message>
        <source>Admit %1</source>
        <translation>入院登记：%1</translation>
    </message>
    <message>
        <source>Admitted (2401): %1, inpatient no. %2, visit %3. F4 takes the deposit.</source>
        <translation>入院登记成功（2401）：%1，住院号 %2，就诊ID %3。F4 收预交金。</translation>
    </message>
    <message>
        <source>Admitting (2401)…</source>
        <translation>正在办理入院登记（2401）…</translation>
    </message>
    <message>
        <source>Change the admission of %1</source>
        <translation>住院信息变更：%1</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>没有修改任何内容。</translation>
    </message>
    <message>
        <source>Changing the admission (2403)…</source>
        <translation>正在变更住院信息（2403）…</translation>
    </message>
    <message>
        <source>Admission changed (2403): bed %1, %2, doctor %3.</source>
        <translation>住院信息已变更（2403）：床位 %1，%2，主治医生 %3。</translation>
    </message>
    <message>
        <source>Cancel the admission of %1 (inpatient no. %2) at the insurance centre (2404)?</source>
        <translation>确定向医保中心撤销 %1（住院号 %2）的入院登记（2404）吗？</translation>
    </message>
    <message>
        <source>Cancelling the admission (2404)…</source>
        <translation>正在撤销入院（2404）…</translation>
    </message>
    <message>
        <source>Admission cancelled (2404): %1.</source>
        <translation>已撤销入院（2404）：%1。</translation>
    </message>
    <message>
        <source>Deposit for %1 (inpatient no. %2), balance ¥ %3</source>
        <translation>%1（住院号 %2）交预交金，当前余额 ¥ %3</translation>
    </message>
    <message>
        <source>Deposit taken: ¥ %1 cash, receipt %2; change ¥ %3. Balance ¥ %4. F6 prints the receipt.</source>
        <translation>已收预交金：现金 ¥ %1，收据 %2；找零 ¥ %3。预交金余额 ¥ %4。F6 打印收据。</translation>
    </message>
    <message>
        <source>Deposit taken: ¥ %1 by %5 (trade %6), receipt %2. Balance ¥ %4. F6 prints the receipt.</source>
        <translation>已收预交金：%5 ¥ %1（交易号 %6），收据 %2。预交金余额 ¥ %4。F6 打印收据。</translation>
    </message>
    <message>
        <source>Taking the deposit…</source>
        <translation>正在收预交金…</translation>
    </message>
    <message>
        <source>Amount to refund to %1 (balance ¥ %2). Payment-code deposits go back to their channel first, the rest in cash.</source>
        <translation>退给 %1 的预交金金额（余额 ¥ %2）。付款码所交预交金先原路退回，其余退现金。</translation>
    </message>
    <message>
        <source>Refund deposit ¥ %1 to %2 (inpatient no. %3)</source>
        <translation>退预交金 ¥ %1 给 %2（住院号 %3）</translation>
    </message>
    <message>
        <source>Not refunded: no supervisor authorization.</source>
        <translation>未退款：没有组长授权。</translation>
    </message>
    <message>
        <source>Deposit refunded: %1. Balance ¥ %2.</source>
        <translation>已退预交金：%1。预交金余额 ¥ %2。</translation>
    </message>
    <message>
        <source>Refunding the deposit…</source>
        <translation>正在退预交金…</translation>
    </message>
    <message>
        <source>Receipt %1 printed (%2): %3</source>
        <translation>收据 %1 已打印（%2）：%3</translation>
    </message>
    <message>
        <source>Printing the deposit receipt…</source>
        <translation>正在打印预交金收据…</translation>
    </message>
    <message>
        <source>Choose the day to upload in the fees table.</source>
        <translation>请在每日费用表中选择要上传的住院日。</translation>
    </message>
    <message>
        <source>day %1</source>
        <translation>第 %1 天</translation>
    </message>
    <message>
        <source>all days so far</source>
        <translation>至今全部住院日</translation>
    </message>
    <message>
        <source>Fees uploaded (2301, %1): %2 lines, ¥ %3; %4 already uploaded.</source>
        <translation>费用已上传（2301，%1）：%2 条，¥ %3；已上传过的 %4 条跳过。</translation>
    </message>
    <message>
        <source>Not in the catalogue: %1</source>
        <translation>不在目录中：%1</translation>
    </message>
    <message>
        <source>Uploading the fees (2301)…</source>
        <translation>正在上传费用明细（2301）…</translation>
    </message>
    <message>
        <source>Cancel ALL unsettled uploaded fee lines of %1 (¥ %2) at the insurance centre (2302)?</source>
        <translation>确定向医保中心撤销 %1 全部未结算的已上传费用明细（¥ %2，2302）吗？</translation>
    </message>
    <message>
        <source>Cancelling the fee lines (2302)…</source>
        <translation>正在撤销费用明细（2302）…</translation>
    </message>
    <message>
        <source>Fee lines cancelled (2302): %1 lines, ¥ %2.</source>
        <translation>费用明细已撤销（2302）：%1 条，¥ %2。</translation>
    </message>
    <message>
        <source>Discharging (2402)…</source>
        <translation>正在办理出院（2402）…</translation>
    </message>
    <message>
        <source>Discharged (2402) at %1. F9 pre-settles the final settlement (出院结算).</source>
        <translation>已办理出院（2402），出院时间 %1。F9 出院结算预结算。</translation>
    </message>
    <message>
        <source>Pre-settling (2303)…</source>
        <translation>正在预结算（2303）…</translation>
    </message>
    <message>
        <source>FINAL settlement (出院结算)</source>
        <translation>出院结算</translation>
    </message>
    <message>
        <source>MID-STAY settlement (中途结算)</source>
        <translation>中途结算</translation>
    </message>
    <message>
        <source>collect ¥ %1: type the cash in 实收 and press Enter, or scan a payment code.</source>
        <translation>需补收 ¥ %1：在实收中输入现金按回车，或扫付款码。</translation>
    </message>
    <message>
        <source>the deposit covers it; ¥ %1 goes back to the patient. F9 / Enter settles.</source>
        <translation>预交金足够支付；结算后退还患者 ¥ %1。F9 / 回车结算。</translation>
    </message>
    <message>
        <source>the deposit covers it. F9 / Enter settles.</source>
        <translation>预交金足够支付。F9 / 回车结算。</translation>
    </message>
    <message>
        <source>%1 — pre-settled (2303), %2 lines: %3</source>
        <translation>%1 — 已预结算（2303），%2 条明细：%3</translation>
    </message>
    <message>
        <source>Collect ¥ %1: type the cash handed over (at least that) and press Enter, or scan a payment code.</source>
        <translation>需补收 ¥ %1：输入实收现金（不少于该金额）按回车，或扫付款码。</translation>
    </message>
    <message>
        <source>A scan arrived on the inpatient screen: only a payment code (for the rest of a settlement) is taken here. Close the screen (Esc) to identify another patient.</source>
        <translation>住院窗口收到扫码：这里只接受付款码（补收结算差额）。如需识别其他患者，请先关闭住院窗口（Esc）。</translation>
    </message>
    <message>
        <source>Nothing to collect now. To take a deposit by payment code press F4 first, then scan.</source>
        <translation>当前没有需补收的金额。用付款码交预交金请先按 F4，再扫码。</translation>
    </message>
    <message>
        <source>SETTLED (2304) — settlement %1: total ¥ %2, fund ¥ %3, patient cash ¥ %4, from the deposit ¥ %5, collected ¥ %6.</source>
        <translation>已结算（2304）— 结算号 %1：医疗费总额 ¥ %2，基金支付 ¥ %3，个人现金 ¥ %4，预交金抵扣 ¥ %5，补收 ¥ %6。</translation>
    </message>
    <message>
        <source>Change ¥ %1.</source>
        <translation>找零 ¥ %1。</translation>
    </message>
    <message>
        <source>HAND BACK ¥ %1 in cash (deposit surplus).</source>
        <translation>请退还患者现金 ¥ %1（预交金余额）。</translation>
    </message>
    <message>
        <source>¥ %1 refunded to %2 (deposit surplus).</source>
        <translation>¥ %1 已退回%2（预交金余额）。</translation>
    </message>
    <message>
        <source>¥ %1 to %2 NOT yet refunded (%3): recovery retries it, do not pay it in cash.</source>
        <translation>¥ %1 尚未退回%2（%3）：恢复功能会重试，请勿用现金另退。</translation>
    </message>
    <message>
        <source>Deposit balance now ¥ %1.</source>
        <translation>现预交金余额 ¥ %1。</translation>
    </message>
    <message>
        <source>Settlement form: %1</source>
        <translation>结算单：%1</translation>
    </message>
    <message>
        <source>Settled: final (出院结算), the stay is closed.</source>
        <translation>已完成出院结算，本次住院结束。</translation>
    </message>
    <message>
        <source>Settled: mid-stay (中途结算); the patient stays in the ward.</source>
        <translation>已完成中途结算，患者继续住院。</translation>
    </message>
    <message>
        <source>Settled (2304): the figures and what to hand back are in the settlement panel.</source>
        <translation>已结算（2304）：金额及应退还患者的款项见下方结算栏。</translation>
    </message>
    <message>
        <source>Settling (2304)…</source>
        <translation>正在结算（2304）…</translation>
    </message>
    <message>
        <source>Reverse stay settlement %1 (%2, ¥ %3; deposit applied ¥ %4 goes back to the balance)</source>
        <translation>撤销住院结算 %1（%2，¥ %3；预交金抵扣 ¥ %4 退回余额）</translation>
    </message>
    <message>
        <source>Not reversed: no supervisor authorization.</source>
        <translation>未撤销：没有组长授权。</translation>
    </message>
    <message>
        <source>REVERSED (2305) — settlement %1. Deposit restored: balance ¥ %2. Money collected on top: %3.</source>
        <translation>已撤销结算（2305）— 结算号 %1。预交金已退回：余额 ¥ %2。另收款项：%3。</translation>
    </message>
    <message>
        <source>Reversing the settlement (2305)…</source>
        <translation>正在撤销结算（2305）…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>TRAINING MODE — practice data only, nothing is sent to the real insurance centre, receipts are marked 培训模式</source>
        <extracomment>emitted after every finished step (tests wait on it): step name emitted when a step failed: (step, message) the connectivity monitor&apos;s state changed (ConnStatus), relayed from the worker thread a payment code is USERPAYING (the patient types the password on the phone): out_trade_no, relayed from the settle worker (client.services.codepay polls; Esc cancels → reverse)</extracomment>
        <translation>培训模式 — 仅为练习数据，不会发送到真实医保中心，票据均标注“培训模式”</translation>
    </message>
    <message>
        <source>OFFLINE — the insurance centre cannot be reached. Identify by card (F2) or ID number (F3) from the cache; the patient pays in full (全自费 receipt) and the visit is settled with the insurance afterwards (医保补结算) when it is back.</source>
        <translation>离线 —— 无法连接医保中心。请读社保卡（F2）或输入身份证号（F3）从本机缓存识别；患者全额自付（全自费收据），医保中心恢复后办理医保补结算。</translation>
    </message>
    <message>
        <source>Dismiss (Esc)</source>
        <translation>关闭提示 (Esc)</translation>
    </message>
    <message>
        <source>All fields (Ctrl+D)</source>
        <translation>全部字段 (Ctrl+D)</translation>
    </message>
    <message>
        <source>Why this amount? (Ctrl+W)</source>
        <translation>为什么是这个金额 (Ctrl+W)</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>Read card</source>
        <translation>读卡</translation>
    </message>
    <message>
        <source>ID / scan</source>
        <translation>身份证/扫码</translation>
    </message>
    <message>
        <source>Pre-settle</source>
        <translation>预结算</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>个人账户</translation>
    </message>
    <message>
        <source>Today&apos;s list</source>
        <translation>今日结算</translation>
    </message>
    <message>
        <source>Self-pay</source>
        <translation>转自费</translation>
    </message>
    <message>
        <source>Settle</source>
        <translation>结算</translation>
    </message>
    <message>
        <source>Reprint</source>
        <translation>补打</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>&amp;Counter</source>
        <translation>收费(&amp;C)</translation>
    </message>
    <message>
        <source>Inpatient discharge settlement</source>
        <translation>住院出院结算</translation>
    </message>
    <message>
        <source>Inpatient: admission, deposits, discharge…</source>
        <translation>住院：入院登记、预交金、出院结算…</translation>
    </message>
    <message>
        <source>Reverse a settlement (supervisor)</source>
        <translation>撤销结算（需组长授权）</translation>
    </message>
    <message>
        <source>Collect an owed share (supervisor)…</source>
        <translation>补收欠费（需组长授权）…</translation>
    </message>
    <message>
        <source>Partial refund (supervisor)…</source>
        <translation>部分退费（组长授权）…</translation>
    </message>
    <message>
        <source>Remove selected line</source>
        <translation>删除选中明细</translation>
    </message>
    <message>
        <source>Search the catalogue</source>
        <translation>搜索目录</translation>
    </message>
    <message>
        <source>Decode e-voucher from image file…</source>
        <translation>从图片识别电子凭证…</translation>
    </message>
    <message>
        <source>Identify by e-voucher (scan box)</source>
        <translation>医保电子凭证识别（扫码盒）</translation>
    </message>
    <message>
        <source>Identify by face check</source>
        <translation>刷脸识别</translation>
    </message>
    <message>
        <source>Scan with camera</source>
        <translation>摄像头扫码</translation>
    </message>
    <message>
        <source>Camera scanning needs Qt Multimedia, which is not installed on this computer. Use the scanner or an image file.</source>
        <translation>摄像头扫码需要 Qt Multimedia 组件，本机未安装。请使用扫码枪或从图片识别。</translation>
    </message>
    <message>
        <source>Settlement details</source>
        <translation>结算明细</translation>
    </message>
    <message>
        <source>Why this amount?</source>
        <translation>为什么是这个金额</translation>
    </message>
    <message>
        <source>&amp;Day</source>
        <translation>日常(&amp;D)</translation>
    </message>
    <message>
        <source>Synchronise now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Adjustment records</source>
        <translation>退补差额记录</translation>
    </message>
    <message>
        <source>Lock window</source>
        <translation>锁定窗口</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>签退</translation>
    </message>
    <message>
        <source>Operator administration…</source>
        <translation>操作员管理…</translation>
    </message>
    <message>
        <source>Hospital finance…</source>
        <translation>全院财务…</translation>
    </message>
    <message>
        <source>Item code mapping…</source>
        <translation>目录对照…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>TRAINING</source>
        <translation>培训模式</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>窗口 %1</translation>
    </message>
    <message>
        <source>MedSettle cashier</source>
        <translation>MedSettle 医保窗口结算</translation>
    </message>
    <message>
        <source>Operator %1 %2</source>
        <translation>操作员 %1 %2</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Insurance centre message: %1</source>
        <translation>医保中心原文：%1</translation>
    </message>
    <message>
        <source>What to do: the insurance centre refused this transaction (its message is shown above). Check the data it names and try again; if it persists, call the insurance office.</source>
        <translation>处理办法：医保中心拒绝了本次交易（原文见上）。请核对其中提到的信息后再试；仍不成功请联系医保经办机构。</translation>
    </message>
    <message>
        <source>What to do: the insurance centre cannot be reached. Check the network and try again. Nothing was charged.</source>
        <translation>处理办法：无法连接医保中心。请检查网络后再试。本次没有产生任何扣费。</translation>
    </message>
    <message>
        <source>What to do: correct the input as described and try again.</source>
        <translation>处理办法：请按提示修改后再试。</translation>
    </message>
    <message>
        <source>What to do: the local database cannot be used. Call the IT department.</source>
        <translation>处理办法：本机数据库不可用，请联系信息科。</translation>
    </message>
    <message>
        <source>What to do: the configuration is incomplete. Call the IT department.</source>
        <translation>处理办法：配置不完整，请联系信息科。</translation>
    </message>
    <message>
        <source>What to do: open your shift (Ctrl+K, type the opening float), then serve the patient.</source>
        <translation>处理办法：先开班（Ctrl+K，录入备用金），再接待患者。</translation>
    </message>
    <message>
        <source>What to do: try again; if it persists, call the IT department.</source>
        <translation>处理办法：请再试一次；仍不成功请联系信息科。</translation>
    </message>
    <message>
        <source>Signed in at the insurance centre (9001), sign_no %1</source>
        <translation>已在医保中心签到（9001），签到编号 %1</translation>
    </message>
    <message>
        <source>Signed in locally, but the insurance centre sign-in (9001) failed: %1
Work continues; the sign-in is repeated before the next transaction.</source>
        <translation>本机登录成功，但医保中心签到（9001）失败：%1
可继续工作，下次交易前会自动重新签到。</translation>
    </message>
    <message>
        <source>Sign-out at the insurance centre (9002) failed: %1</source>
        <translation>医保中心签退（9002）失败：%1</translation>
    </message>
    <message>
        <source>Outpatient · FULL SELF-PAY</source>
        <translation>门诊 · 全自费</translation>
    </message>
    <message>
        <source>Outpatient · OFFLINE</source>
        <translation>门诊 · 离线</translation>
    </message>
    <message>
        <source>Outpatient</source>
        <translation>门诊</translation>
    </message>
    <message>
        <source>Inpatient discharge</source>
        <translation>住院出院</translation>
    </message>
    <message>
        <source>Outpatient · chronic disease %1 %2</source>
        <translation>门诊 · 慢特病 %1 %2</translation>
    </message>
    <message>
        <source>%1 items, total ¥ %2</source>
        <translation>共 %1 项，合计 ¥ %2</translation>
    </message>
    <message>
        <source>NO SHIFT (Ctrl+K opens)</source>
        <translation>未开班（Ctrl+K 开班）</translation>
    </message>
    <message>
        <source>Shift %1</source>
        <translation>班次 %1</translation>
    </message>
    <message>
        <source>No shift is open: nobody can be served or charged. Open the shift (Ctrl+K) with the opening float, then serve the patient.</source>
        <translation>尚未开班：不能接待患者，也不能收费。请先开班（Ctrl+K，录入备用金），再接待患者。</translation>
    </message>
    <message>
        <source>A scan arrived while a dialog was open; close the dialog and scan again.</source>
        <translation>对话框打开时收到扫码内容，请关闭对话框后重新扫码。</translation>
    </message>
    <message>
        <source>Unrecognised scan: %1</source>
        <translation>无法识别的扫码内容：%1</translation>
    </message>
    <message>
        <source>Wait a moment: the window is still busy (%1). Then scan again.</source>
        <translation>请稍候：窗口正在处理（%1），处理完后再扫码。</translation>
    </message>
    <message>
        <source>Identifying by e-voucher…</source>
        <translation>正在按医保电子凭证识别…</translation>
    </message>
    <message>
        <source>Identifying by card…</source>
        <translation>正在按社保卡识别…</translation>
    </message>
    <message>
        <source>Identifying by ID number…</source>
        <translation>正在按身份证号识别…</translation>
    </message>
    <message>
        <source>The e-voucher and the face check need the insurance centre: identify by card (F2) or ID number (F3) while offline.</source>
        <translation>医保电子凭证和刷脸识别需要连接医保中心：离线时请读社保卡（F2）或输入身份证号（F3）识别。</translation>
    </message>
    <message>
        <source>Identifying by face check…</source>
        <translation>正在刷脸识别…</translation>
    </message>
    <message>
        <source>Identifying by e-voucher (scan box)…</source>
        <translation>正在通过扫码盒识别医保电子凭证…</translation>
    </message>
    <message>
        <source>the insurance centre did not answer (1101): the patient came from this window&apos;s cache</source>
        <translation>医保中心没有应答（1101）：患者信息来自本机缓存</translation>
    </message>
    <message>
        <source>Identified from the local cache (the insurance centre is not reachable).</source>
        <translation>已按本机缓存识别（医保中心暂时无法连接）。</translation>
    </message>
    <message>
        <source>No card reader is configured on this computer.</source>
        <translation>本机未配置读卡器。</translation>
    </message>
    <message>
        <source>E-voucher image</source>
        <translation>电子凭证图片</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.bmp)</translation>
    </message>
    <message>
        <source>No e-voucher QR code was found in the image. Take a sharper picture and try again.</source>
        <translation>图片中没有找到医保电子凭证二维码，请重新拍摄清晰的图片后再试。</translation>
    </message>
    <message>
        <source>Camera scanning is not available on this computer.</source>
        <translation>本机不支持摄像头扫码。</translation>
    </message>
    <message>
        <source>%1 charge lines from the HIS. F5 pre-settles.</source>
        <translation>已从 HIS 取得 %1 条费用明细。按 F5 预结算。</translation>
    </message>
    <message>
        <source>Choose the chronic disease before pre-settling (F5 asks again).</source>
        <translation>预结算前请先选择慢特病病种（按 F5 会再次询问）。</translation>
    </message>
    <message>
        <source>Chronic disease: %1 %2.</source>
        <translation>慢特病病种：%1 %2。</translation>
    </message>
    <message>
        <source>Nothing found for “%1”.</source>
        <translation>没有找到“%1”。</translation>
    </message>
    <message>
        <source>Identify the patient first (scan the e-voucher, F2 card, F3 ID).</source>
        <translation>请先识别患者（扫医保码、F2 读卡、F3 输入身份证号）。</translation>
    </message>
    <message>
        <source>Adding the item…</source>
        <translation>正在添加项目…</translation>
    </message>
    <message>
        <source>This line is already uploaded to the insurance centre and cannot be removed here; cancel the case (Esc) and start again.</source>
        <translation>该明细已上传医保中心，不能在此删除；请取消本次收费（Esc）后重新开始。</translation>
    </message>
    <message>
        <source>Identify the patient first, then choose inpatient discharge (Ctrl+I).</source>
        <translation>请先识别患者，再选择住院出院结算（Ctrl+I）。</translation>
    </message>
    <message>
        <source>The case already has charges; cancel it (Esc) before switching to inpatient.</source>
        <translation>当前已有费用明细；请先取消（Esc）再切换为住院出院结算。</translation>
    </message>
    <message>
        <source>Inpatient discharge: F4 takes the inpatient charges from the HIS.</source>
        <translation>住院出院结算：按 F4 从 HIS 取住院费用。</translation>
    </message>
    <message>
        <source>Wait a moment: the window is still busy (%1).</source>
        <translation>请稍候：窗口正在处理（%1）。</translation>
    </message>
    <message>
        <source>Pre-settling with the insurance centre…</source>
        <translation>正在向医保中心预结算…</translation>
    </message>
    <message>
        <source>Pre-settled — not yet charged. Take the payment, then F9.</source>
        <translation>已预结算，尚未扣费。收款后按 F9 结算。</translation>
    </message>
    <message>
        <source>Amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation>应收 ¥ %1。请输入实收金额后按回车或 F9。</translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>e-CNY</source>
        <translation>数字人民币</translation>
    </message>
    <message>
        <source>Scan the patient&apos;s payment code (%1): with the payment gateway it is charged by scanning, never only recorded. Nothing was settled.</source>
        <translation>请扫描患者的付款码（%1）：已启用聚合支付，须扫码扣款，不能只记账。本次没有结算。</translation>
    </message>
    <message>
        <source>Not settled: the payment reference was not entered.</source>
        <translation>未结算：没有输入交易参考号。</translation>
    </message>
    <message>
        <source>A payment code was scanned, but nothing is due now: presettle first (F5), then scan the patient&apos;s payment code.</source>
        <translation>扫描到付款码，但现在没有待收款：请先预结算（F5），再扫描患者的付款码。</translation>
    </message>
    <message>
        <source>Waiting for the patient to enter the password (Esc: cancel)</source>
        <translation>等待患者输入密码（Esc 取消）</translation>
    </message>
    <message>
        <source>Not settled: the patient did not enter the password.</source>
        <translation>未结算：患者没有输入密码。</translation>
    </message>
    <message>
        <source>Settling (this charges the insurance)…</source>
        <translation>正在结算（医保基金将扣费）…</translation>
    </message>
    <message>
        <source>%1 ¥ %2 · trade %3</source>
        <translation>%1 ¥ %2 · 交易号 %3</translation>
    </message>
    <message>
        <source>SETTLED (needs review) — settlement %1</source>
        <translation>已结算（待复核）— 结算号 %1</translation>
    </message>
    <message>
        <source>SETTLED — settlement %1</source>
        <translation>已结算 — 结算号 %1</translation>
    </message>
    <message>
        <source>Settled — needs review: check with the platform. Esc: next patient.</source>
        <translation>已结算，待复核：请向医保中心核实。Esc：下一位患者。</translation>
    </message>
    <message>
        <source>No calculation trace yet: pre-settle first (F5). The trace needs the local policy bundle (Ctrl+S synchronises).</source>
        <translation>还没有计算过程：请先预结算（F5）。计算过程需要本机的待遇政策包（Ctrl+S 同步）。</translation>
    </message>
    <message>
        <source>Receipt %1.</source>
        <translation>部分退费凭条 %1。</translation>
    </message>
    <message>
        <source>The receipt could not be printed (%1).</source>
        <translation>部分退费凭条未能打印（%1），退费已完成。</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Keyboard&lt;/h3&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F1&lt;/b&gt;&lt;/td&gt;&lt;td&gt;this help&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F2&lt;/b&gt;&lt;/td&gt;&lt;td&gt;read the social-security card&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F3&lt;/b&gt;&lt;/td&gt;&lt;td&gt;type the ID number (the scanner works any time)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F4&lt;/b&gt;&lt;/td&gt;&lt;td&gt;the patient&apos;s unpaid HIS bills (several: tick with Space)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+F&lt;/b&gt;&lt;/td&gt;&lt;td&gt;search the catalogue (pinyin initials; 3*… for three), Enter adds&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;pre-settle with the insurance centre&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F6&lt;/b&gt;&lt;/td&gt;&lt;td&gt;personal account: use / do not use&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F7&lt;/b&gt;&lt;/td&gt;&lt;td&gt;today&apos;s settlements (search, all fields)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F8&lt;/b&gt;&lt;/td&gt;&lt;td&gt;full self-pay (转自费), with the reason&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Alt+1…5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;cash, bank card, WeChat, Alipay, e-CNY&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F9 / Enter&lt;/b&gt;&lt;/td&gt;&lt;td&gt;settle (in the tendered field)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F12&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reprint from today&apos;s list (supervisor, marked 补打)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Esc&lt;/b&gt;&lt;/td&gt;&lt;td&gt;dismiss a message / next patient&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+I&lt;/b&gt;&lt;/td&gt;&lt;td&gt;inpatient discharge settlement&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+H&lt;/b&gt;&lt;/td&gt;&lt;td&gt;inpatient screen: admission, deposits, daily fees, discharge&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+R&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reverse a same-day settlement from today&apos;s list (supervisor)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+T&lt;/b&gt;&lt;/td&gt;&lt;td&gt;partial refund: return some lines of a same-day settlement (supervisor)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+U&lt;/b&gt;&lt;/td&gt;&lt;td&gt;collect an owed share (scan a new payment code, or cash)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+D / Ctrl+W&lt;/b&gt;&lt;/td&gt;&lt;td&gt;all settlement fields / why this amount&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+S&lt;/b&gt;&lt;/td&gt;&lt;td&gt;synchronise&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+J / Ctrl+K&lt;/b&gt;&lt;/td&gt;&lt;td&gt;adjustment records / open or close the shift&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+L / Ctrl+Q&lt;/b&gt;&lt;/td&gt;&lt;td&gt;lock / sign out&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</source>
        <translation>&lt;h3&gt;快捷键&lt;/h3&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F1&lt;/b&gt;&lt;/td&gt;&lt;td&gt;帮助&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F2&lt;/b&gt;&lt;/td&gt;&lt;td&gt;读社保卡&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F3&lt;/b&gt;&lt;/td&gt;&lt;td&gt;输入身份证号（扫码枪随时可用）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F4&lt;/b&gt;&lt;/td&gt;&lt;td&gt;患者的 HIS 待缴费单据（多张时用空格键勾选）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+F&lt;/b&gt;&lt;/td&gt;&lt;td&gt;目录搜索（拼音首字母；3*… 表示数量 3），Enter 添加&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;向医保中心预结算&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F6&lt;/b&gt;&lt;/td&gt;&lt;td&gt;个人账户：使用 / 不使用&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F7&lt;/b&gt;&lt;/td&gt;&lt;td&gt;今日结算（搜索、查看全部字段）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F8&lt;/b&gt;&lt;/td&gt;&lt;td&gt;转自费（全自费），记录原因&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Alt+1…5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;现金、银行卡、微信、支付宝、数字人民币&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F9 / Enter&lt;/b&gt;&lt;/td&gt;&lt;td&gt;结算（在实收框中）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F12&lt;/b&gt;&lt;/td&gt;&lt;td&gt;从今日结算中补打（组长授权，标记补打）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Esc&lt;/b&gt;&lt;/td&gt;&lt;td&gt;关闭提示 / 下一位患者&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+I&lt;/b&gt;&lt;/td&gt;&lt;td&gt;住院出院结算&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+H&lt;/b&gt;&lt;/td&gt;&lt;td&gt;住院窗口：入院登记、预交金、每日费用、出院结算&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+R&lt;/b&gt;&lt;/td&gt;&lt;td&gt;从今日结算中撤销当日结算（组长授权）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+T&lt;/b&gt;&lt;/td&gt;&lt;td&gt;部分退费：退回当日结算中的部分项目（组长授权）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+U&lt;/b&gt;&lt;/td&gt;&lt;td&gt;补收欠费（扫描新的付款码，或收现金）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+D / Ctrl+W&lt;/b&gt;&lt;/td&gt;&lt;td&gt;结算全部字段 / 金额计算说明&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+S&lt;/b&gt;&lt;/td&gt;&lt;td&gt;同步&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+J / Ctrl+K&lt;/b&gt;&lt;/td&gt;&lt;td&gt;退补记录 / 开班或交班&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+L / Ctrl+Q&lt;/b&gt;&lt;/td&gt;&lt;td&gt;锁屏 / 退出登录&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</translation>
    </message>
    <message>
        <source>Total ¥ %1 = fund ¥ %2 + account ¥ %3 + cash ¥ %4</source>
        <translation>总额 ¥ %1 = 基金 ¥ %2 + 个人账户 ¥ %3 + 现金 ¥ %4</translation>
    </message>
    <message>
        <source>Visit type of items added by hand (HIS bills bring their own)</source>
        <translation>手工录入项目的医疗类别（HIS 单据自带医疗类别）</translation>
    </message>
    <message>
        <source>general outpatient</source>
        <translation>普通门诊</translation>
    </message>
    <message>
        <source>emergency</source>
        <translation>急诊</translation>
    </message>
    <message>
        <source>chronic/special disease outpatient</source>
        <translation>门诊慢特病</translation>
    </message>
    <message>
        <source>Add an item: pinyin initials, name or code (3*… for 3 of it), ↓ to pick, Enter adds (Ctrl+F)</source>
        <translation>录入项目：拼音首字母、名称或编码（3*… 表示数量 3），↓ 选择，Enter 添加（Ctrl+F）</translation>
    </message>
    <message>
        <source>HIS bills</source>
        <translation>HIS 单据</translation>
    </message>
    <message>
        <source>Open / close shift…</source>
        <translation>开班 / 交班…</translation>
    </message>
    <message>
        <source>HIS message: %1</source>
        <translation>HIS 返回信息：%1</translation>
    </message>
    <message>
        <source>E-invoice platform message: %1</source>
        <translation>电子票据平台返回信息：%1</translation>
    </message>
    <message>
        <source>Internal error: the step was not completed and the error was logged.</source>
        <translation>程序内部错误：本次操作未完成，错误已记入日志。</translation>
    </message>
    <message>
        <source>What to do: try again; if it happens again, tell the IT department (the log has the details).</source>
        <translation>处理办法：请重试；如再次出现，请联系信息科（日志中有详细信息）。</translation>
    </message>
    <message>
        <source>What to do: the HIS does not answer. Press F4 again in a moment, or add the items with the catalogue search (Ctrl+F); if it persists, call the IT department.</source>
        <translation>处理办法：HIS 没有应答。请稍后再按 F4，或用目录搜索（Ctrl+F）逐项录入；如持续出现，请联系信息科。</translation>
    </message>
    <message>
        <source>What to do: the HIS refused (reason above). Check the bill in the HIS, or call the IT department.</source>
        <translation>处理办法：HIS 拒绝了请求（原因见上）。请在 HIS 中核对单据，或联系信息科。</translation>
    </message>
    <message>
        <source>What to do: check the bill in the HIS; if it persists, call the IT department.</source>
        <translation>处理办法：请在 HIS 中核对单据；如持续出现，请联系信息科。</translation>
    </message>
    <message>
        <source>What to do: the e-invoice platform cannot be used now. The settlement is not affected; the e-invoice is issued automatically later.</source>
        <translation>处理办法：电子票据平台暂时不能使用。结算不受影响，电子票据稍后自动补开。</translation>
    </message>
    <message>
        <source>What to do: check the card reader / scanner and its cable, or identify the patient another way (F2 card, F3 ID number, scan).</source>
        <translation>处理办法：检查读卡器/扫码设备及连线，或改用其他方式识别患者（F2 读卡、F3 身份证号、扫码）。</translation>
    </message>
    <message>
        <source>What to do: the result is UNKNOWN. Do NOT settle again and do not take money twice. Run Synchronise (Ctrl+S): recovery reverses the lost settlement at the insurance centre (2601) and then tells you to settle the patient again.</source>
        <translation>处理办法：交易结果未知。请勿重复结算、勿重复收费！请执行同步（Ctrl+S）：系统将向医保中心冲正(2601)该笔结算，完成后会提示为患者重新结算。</translation>
    </message>
    <message>
        <source>Insurance suspended: F8 settles the patient as full self-pay.</source>
        <translation>暂停参保：按 F8 可按全自费收费。</translation>
    </message>
    <message>
        <source>Patient identified. F4 takes the HIS bills, or add items in the search box.</source>
        <translation>患者已识别。按 F4 取 HIS 单据，或在搜索框中录入项目。</translation>
    </message>
    <message>
        <source>Fetching the bills from the HIS…</source>
        <translation>正在从 HIS 取待缴费单据…</translation>
    </message>
    <message>
        <source>The HIS has no unpaid bill for this patient. Add the items with the catalogue search (Ctrl+F).</source>
        <translation>HIS 中没有该患者待缴费的单据。请用目录搜索（Ctrl+F）录入项目。</translation>
    </message>
    <message>
        <source>Taking the bills from the HIS…</source>
        <translation>正在取 HIS 单据明细…</translation>
    </message>
    <message>
        <source>%1 more unpaid bill(s) not taken.</source>
        <translation>另有 %1 张待缴费单据未收取。</translation>
    </message>
    <message>
        <source>This case is settled. Press Esc for the next patient.</source>
        <translation>本次已结算。按 Esc 接待下一位患者。</translation>
    </message>
    <message>
        <source>Added %1 × %2.</source>
        <translation>已添加 %1 × %2。</translation>
    </message>
    <message>
        <source>Type the cash handed over in “Tendered” (amount due ¥ %1), then F9.</source>
        <translation>请在“实收”中输入患者交来的现金（应收 ¥ %1），再按 F9。</translation>
    </message>
    <message>
        <source>The cash tendered (¥ %1) is short by ¥ %2 of the amount due (¥ %3).</source>
        <translation>现金实收 ¥ %1，还差 ¥ %2（应收 ¥ %3）。</translation>
    </message>
    <message>
        <source>SETTLED · settlement %1</source>
        <translation>已结算 · 结算号 %1</translation>
    </message>
    <message>
        <source>change ¥ %1</source>
        <translation>找零 ¥ %1</translation>
    </message>
    <message>
        <source>e-invoice %1-%2</source>
        <translation>电子票据 %1-%2</translation>
    </message>
    <message>
        <source>receipt printed</source>
        <translation>票据已打印</translation>
    </message>
    <message>
        <source>receipt %1</source>
        <translation>票据 %1</translation>
    </message>
    <message>
        <source>%1 more unpaid bill(s): %2</source>
        <translation>还有 %1 张未缴费单据：%2</translation>
    </message>
    <message>
        <source>Settled. Esc: next patient.</source>
        <translation>已结算。按 Esc 接待下一位患者。</translation>
    </message>
    <message>
        <source>Choose the settlement to show (Enter).</source>
        <translation>请选择要查看的结算（Enter）。</translation>
    </message>
    <message>
        <source>Reading the settlement…</source>
        <translation>正在读取结算记录…</translation>
    </message>
    <message>
        <source>Cancelling the payment-code order…</source>
        <translation>正在撤销付款码订单…</translation>
    </message>
    <message>
        <source>Ready for the next patient.</source>
        <translation>可以接待下一位患者。</translation>
    </message>
    <message>
        <source>Only finance staff and administrators may open the hospital finance view.</source>
        <translation>只有财务和系统管理员可以打开全院财务。</translation>
    </message>
    <message>
        <source>There is no settlement at this window today.</source>
        <translation>本窗口今日还没有结算。</translation>
    </message>
    <message>
        <source>Reading today&apos;s settlements…</source>
        <translation>正在读取今日结算…</translation>
    </message>
    <message>
        <source>Choose the settlement to REVERSE (Enter). A supervisor authorizes it next.</source>
        <translation>请选择要撤销的结算（Enter），随后由收费组长授权。</translation>
    </message>
    <message>
        <source>Settlement %1 (%2, %3) cannot be reversed here.</source>
        <translation>结算 %1（%2，%3）不能在此撤销。</translation>
    </message>
    <message>
        <source>Choose the settlement to REPRINT (Enter). A supervisor authorizes it next.</source>
        <translation>请选择要补打的结算（Enter），随后由收费组长授权。</translation>
    </message>
    <message>
        <source>Reprint the receipt of settlement %1 (%2)</source>
        <translation>补打结算 %1（%2）的票据</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>培训(&amp;T)</translation>
    </message>
    <message>
        <source>Simulate: insurance centre offline</source>
        <translation>模拟：医保中心断网</translation>
    </message>
    <message>
        <source>Simulate: insurance centre slow (4 s)</source>
        <translation>模拟：医保中心响应慢（4 秒）</translation>
    </message>
    <message>
        <source>Simulate: HIS disconnected</source>
        <translation>模拟：HIS 断开</translation>
    </message>
    <message>
        <source>Simulate: payment gateway charges but the answer is lost</source>
        <translation>模拟：聚合支付已扣款但应答丢失</translation>
    </message>
    <message>
        <source>Simulate: payment gateway slow (3 s)</source>
        <translation>模拟：聚合支付响应慢（3 秒）</translation>
    </message>
    <message>
        <source>Simulate: payment gateway error (HTTP 500)</source>
        <translation>模拟：聚合支付服务器错误（HTTP 500）</translation>
    </message>
    <message>
        <source>Restore normal service</source>
        <translation>恢复正常</translation>
    </message>
    <message>
        <source>Scan box: a training person steps up…</source>
        <translation>扫码盒：培训人员上前…</translation>
    </message>
    <message>
        <source>Scan box: busy</source>
        <translation>扫码盒：正忙</translation>
    </message>
    <message>
        <source>Scan box: times out</source>
        <translation>扫码盒：超时</translation>
    </message>
    <message>
        <source>Scan box: the patient cancels</source>
        <translation>扫码盒：患者取消</translation>
    </message>
    <message>
        <source>Training: %1 (next e-voucher / face try).</source>
        <translation>培训：%1（下一次电子凭证/刷脸识别）。</translation>
    </message>
    <message>
        <source>Training: %1.</source>
        <translation>培训：%1。</translation>
    </message>
    <message>
        <source>Reverse settlement %1 (%2, ¥ %3)</source>
        <translation>撤销结算 %1（%2，¥ %3）</translation>
    </message>
    <message>
        <source>Reversing the settlement…</source>
        <translation>正在撤销结算…</translation>
    </message>
    <message>
        <source>refund the patient ¥ %1 in cash</source>
        <translation>现金退还患者 ¥ %1</translation>
    </message>
    <message>
        <source>¥ %1 refunded to %2 (order %3)</source>
        <translation>¥ %1 已原路退回%2（订单 %3）</translation>
    </message>
    <message>
        <source>¥ %1 to %2 NOT yet refunded (order %3; recovery retries it — do not pay it in cash)</source>
        <translation>¥ %1 尚未退回%2（订单 %3；恢复功能会自动重试——请勿改用现金退还）</translation>
    </message>
    <message>
        <source>¥ %1 by card: refund it at the POS terminal</source>
        <translation>银行卡 ¥ %1：请在 POS 终端办理退款</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>Today&apos;s settlements at this window. Enter shows all fields; F12 reprints, Ctrl+T partial refund; Ctrl+R reverses (from the main window).</source>
        <translation>本窗口今日结算。Enter 查看全部字段；F12 补打，Ctrl+T 部分退费；Ctrl+R 撤销（在主窗口）。</translation>
    </message>
    <message>
        <source>Choose the settlement for a PARTIAL REFUND (Enter): the returned lines are chosen next, a supervisor authorizes it.</source>
        <translation>选择要部分退费的结算（Enter）：接着选择退回的项目，再由组长授权。</translation>
    </message>
    <message>
        <source>Partial refund of settlement %1 (%2, ¥ %3)</source>
        <translation>部分退费：结算 %1（%2，¥ %3）</translation>
    </message>
    <message>
        <source>Partial refund: reversing and settling the kept lines again…</source>
        <translation>部分退费：正在撤销原结算并重新结算保留的项目…</translation>
    </message>
    <message>
        <source>Reading the settlement&apos;s lines…</source>
        <translation>正在读取结算明细…</translation>
    </message>
    <message>
        <source>PARTIAL REFUND done — settlement %1 reversed, kept lines settled again as %2. Patient&apos;s cash share ¥ %3 → ¥ %4, personal account ¥ %5 → ¥ %6 (the account difference goes back by the insurance). Refund ¥ %7: %8.</source>
        <translation>部分退费完成——原结算 %1 已撤销，保留项目重新结算为 %2。个人现金支付 ¥ %3 → ¥ %4，个人账户 ¥ %5 → ¥ %6（账户差额由医保退回个人账户）。退款 ¥ %7：%8。</translation>
    </message>
    <message>
        <source>Partial refund done.</source>
        <translation>部分退费已完成。</translation>
    </message>
    <message>
        <source>REVERSED — settlement %1 (%2) was cancelled; %3.</source>
        <translation>已撤销——结算 %1（%2）已取消：%3。</translation>
    </message>
    <message>
        <source>Settlement reversed.</source>
        <translation>结算已撤销。</translation>
    </message>
    <message>
        <source>No share is owed at this window.</source>
        <translation>本窗口没有未补收的欠费。</translation>
    </message>
    <message>
        <source>Collect the owed share of %1 (%2, ¥ %3)</source>
        <translation>补收结算 %1 的欠费（%2，¥ %3）</translation>
    </message>
    <message>
        <source>Collecting the owed share…</source>
        <translation>正在补收欠费…</translation>
    </message>
    <message>
        <source>Reading the owed shares…</source>
        <translation>正在读取欠费记录…</translation>
    </message>
    <message>
        <source>NOT collected: %1 order %2 — %3. The ¥ %4 stays owed; ask for another code or cash.</source>
        <translation>补收未成功：%1 订单 %2——%3。¥ %4 仍记为欠费，请患者换一个付款码或付现金。</translation>
    </message>
    <message>
        <source>%1, order %2</source>
        <translation>%1，订单 %2</translation>
    </message>
    <message>
        <source>cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>Owed share collected: ¥ %1 (%2), authorised by %3.</source>
        <translation>欠费已补收：¥ %1（%2），授权组长 %3。</translation>
    </message>
    <message>
        <source>Printing…</source>
        <translation>正在打印…</translation>
    </message>
    <message>
        <source>Reprinted (marked 补打, print %1): %2</source>
        <translation>已补打（标注“补打”，第 %1 次打印）：%2</translation>
    </message>
    <message>
        <source>Synchronising…</source>
        <translation>正在同步…</translation>
    </message>
    <message>
        <source>Synced %1</source>
        <translation>同步于 %1</translation>
    </message>
    <message>
        <source>Synchronisation finished.</source>
        <translation>同步完成。</translation>
    </message>
</context>
<context>
    <name>MappingsDialog</name>
    <message>
        <source>Item code mapping (unmapped items)</source>
        <translation>目录对照（未对照项目）</translation>
    </message>
    <message>
        <source>not uploaded</source>
        <translation>未上传</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>mapped</source>
        <translation>已对照</translation>
    </message>
    <message>
        <source>All imported items are mapped.</source>
        <translation>已导入的项目均已对照。</translation>
    </message>
    <message>
        <source>%1 items are not mapped. IT imports and uploads them (medsettle mapping import / upload).</source>
        <translation>有 %1 项未对照，请信息科导入并上传目录对照（medsettle mapping import / upload）。</translation>
    </message>
    <message>
        <source>Hospital code</source>
        <translation>院内编码</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>National code</source>
        <translation>医保编码</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>OpenShiftDialog</name>
    <message>
        <source>Open shift</source>
        <translation>开班</translation>
    </message>
    <message>
        <source>Open a shift for %1</source>
        <translation>为 %1 开班</translation>
    </message>
    <message>
        <source>Opening cash float (¥)</source>
        <translation>备用金（元）</translation>
    </message>
    <message>
        <source>Enter the opening float as an amount, e.g. 200.00.</source>
        <translation>请输入备用金金额，例如 200.00。</translation>
    </message>
</context>
<context>
    <name>OperatorsDialog</name>
    <message>
        <source>Operator administration</source>
        <translation>操作员管理</translation>
    </message>
    <message>
        <source>Your code (supervisor or admin)</source>
        <translation>您的工号（收费组长或系统管理员）</translation>
    </message>
    <message>
        <source>Your password</source>
        <translation>您的密码</translation>
    </message>
    <message>
        <source>Confirm identity</source>
        <translation>确认身份</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Initial password</source>
        <translation>初始密码</translation>
    </message>
    <message>
        <source>Initial password again</source>
        <translation>再输一次初始密码</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Add operator</source>
        <translation>新增操作员</translation>
    </message>
    <message>
        <source>Disable / enable selected</source>
        <translation>停用/启用选中的操作员</translation>
    </message>
    <message>
        <source>Reset password of selected</source>
        <translation>重置选中操作员的密码</translation>
    </message>
    <message>
        <source>Give selected the role above</source>
        <translation>把选中操作员改为上面的角色</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>收费员</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>收费组长</translation>
    </message>
    <message>
        <source>System administrator</source>
        <translation>系统管理员</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <source>Enter your code and password.</source>
        <translation>请输入您的工号和密码。</translation>
    </message>
    <message>
        <source>Signed in for administration: %1</source>
        <translation>已确认管理人身份：%1</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>在用</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source> (locked)</source>
        <translation>（已锁定）</translation>
    </message>
    <message>
        <source> (initial password)</source>
        <translation>（初始密码）</translation>
    </message>
    <message>
        <source>Select an operator in the table first.</source>
        <translation>请先在表中选中一位操作员。</translation>
    </message>
    <message>
        <source>Enter the initial password twice.</source>
        <translation>请把初始密码输入两次。</translation>
    </message>
    <message>
        <source>The two passwords differ; nothing was changed.</source>
        <translation>两次输入的密码不一致，未作任何更改。</translation>
    </message>
    <message>
        <source>Added %1; the initial password must be changed at the first sign-in.</source>
        <translation>已新增 %1，首次登录须修改初始密码。</translation>
    </message>
    <message>
        <source>Enabled %1.</source>
        <translation>已启用 %1。</translation>
    </message>
    <message>
        <source>Disabled %1.</source>
        <translation>已停用 %1。</translation>
    </message>
    <message>
        <source>Password of %1 reset and unlocked; it must be changed at the next sign-in.</source>
        <translation>已重置 %1 的密码并解除锁定，下次登录须修改。</translation>
    </message>
    <message>
        <source>%1 is now: %2</source>
        <translation>%1 现在的角色：%2</translation>
    </message>
</context>
<context>
    <name>OwedCollectDialog</name>
    <message>
        <source>Collect an owed share</source>
        <translation>补收欠费</translation>
    </message>
    <message>
        <source>Shares not collected at the checkout (↑/↓ to choose). Then SCAN the patient&apos;s new payment code, or type the cash received and press Enter. A supervisor authorises next.</source>
        <translation>结算时未收到的自付金额（↑/↓ 选择）。然后扫描患者新的付款码，或输入实收现金后按回车。随后需组长授权。</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Settlement</source>
        <translation>结算</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>患者</translation>
    </message>
    <message>
        <source>Amount owed</source>
        <translation>欠费金额</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Cash received, e.g. 27.54 (Enter)</source>
        <translation>实收现金，例如 27.54（回车）</translation>
    </message>
    <message>
        <source>Collect in cash</source>
        <translation>现金补收</translation>
    </message>
    <message>
        <source>Nothing is owed.</source>
        <translation>没有欠费。</translation>
    </message>
    <message>
        <source>That was not a payment code. Ask the patient to open the payment code (微信/支付宝/云闪付) and scan it.</source>
        <translation>扫描的不是付款码。请患者打开付款码（微信/支付宝/云闪付）后扫描。</translation>
    </message>
    <message>
        <source>Type the cash received as an amount, e.g. 27.54 — or scan a payment code.</source>
        <translation>请输入实收现金金额，例如 27.54——或扫描付款码。</translation>
    </message>
    <message>
        <source>The cash received (¥ %1) must equal the amount owed (¥ %2).</source>
        <translation>实收现金（¥ %1）必须等于欠费金额（¥ %2）。</translation>
    </message>
</context>
<context>
    <name>PartialRefundDialog</name>
    <message>
        <source>Partial refund (部分退费)</source>
        <translation>部分退费</translation>
    </message>
    <message>
        <source>Settlement %1 — %2. Original share: cash ¥ %3, personal account ¥ %4.</source>
        <translation>结算 %1 —— %2。原个人负担：现金 ¥ %3，个人账户 ¥ %4。</translation>
    </message>
    <message>
        <source>Paid with: %1</source>
        <translation>原支付方式：%1</translation>
    </message>
    <message>
        <source>↑/↓ choose a line, Space marks the whole line as returned, Tab → type the quantity returned; Enter confirms. A supervisor authorises next.</source>
        <translation>↑/↓ 选择项目，空格键整行标记为退回，Tab 键后输入退回数量；Enter 确认。随后由组长授权。</translation>
    </message>
    <message>
        <source>Return</source>
        <translation>退</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Returned qty</source>
        <translation>退回数量</translation>
    </message>
    <message>
        <source>Returned qty of the current line</source>
        <translation>当前项目的退回数量</translation>
    </message>
    <message>
        <source>Refund</source>
        <translation>退费</translation>
    </message>
    <message>
        <source>Returning %1 line(s), ¥ %2 of fees. The kept lines are settled again by the insurance; the difference of the patient&apos;s share goes back to the original payment methods in proportion.</source>
        <translation>退回 %1 项，费用 ¥ %2。保留的项目由医保重新结算；个人负担的差额按原支付方式所付比例原路退回。</translation>
    </message>
    <message>
        <source>Mark at least one line to return (Space), or type a quantity.</source>
        <translation>请至少标记一项要退回的项目（空格键），或输入退回数量。</translation>
    </message>
    <message>
        <source>The quantity returned of “%1” must be more than 0.</source>
        <translation>“%1”的退回数量必须大于 0。</translation>
    </message>
    <message>
        <source>The quantity returned of “%1” is more than was settled (%2).</source>
        <translation>“%1”的退回数量超过结算数量（%2）。</translation>
    </message>
    <message>
        <source>Every line is returned: use the full reversal (Ctrl+R) instead.</source>
        <translation>已退回全部项目：请改用全额撤销结算（Ctrl+R）。</translation>
    </message>
</context>
<context>
    <name>PatientPanel</name>
    <message>
        <source>No patient — scan the e-voucher, read the card (F2) or enter the ID (F3)</source>
        <translation>未识别患者 — 请扫医保电子凭证、读社保卡 (F2) 或输入身份证号 (F3)</translation>
    </message>
    <message>
        <source>Identified by</source>
        <translation>识别方式</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Sex / age</source>
        <translation>性别/年龄</translation>
    </message>
    <message>
        <source>Insured place</source>
        <translation>参保地</translation>
    </message>
    <message>
        <source>Insurance</source>
        <translation>险种</translation>
    </message>
    <message>
        <source>Person type</source>
        <translation>人员类别</translation>
    </message>
    <message>
        <source>Account balance</source>
        <translation>个人账户余额</translation>
    </message>
    <message>
        <source>Medical insurance e-voucher</source>
        <translation>医保电子凭证</translation>
    </message>
    <message>
        <source>Face check</source>
        <translation>刷脸</translation>
    </message>
    <message>
        <source>Social-security card</source>
        <translation>社保卡</translation>
    </message>
    <message>
        <source>Barcode scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <source>%1 years</source>
        <translation>%1 岁</translation>
    </message>
    <message>
        <source>Insurance SUSPENDED: the insurance cannot pay. Settle as self-pay or ask the patient to contact the insurance office.</source>
        <translation>参保暂停：医保不能支付。请按自费结算，或请患者联系参保地医保经办机构。</translation>
    </message>
</context>
<context>
    <name>PatientPasswordDialog</name>
    <message>
        <source>Patient password</source>
        <translation>患者密码</translation>
    </message>
    <message>
        <source>Please ask the patient to type their 6-digit insurance password on the PIN pad, then Enter.</source>
        <translation>请患者在密码键盘上输入6位医保密码，然后按回车。</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>The password is 6 digits. Please type it again.</source>
        <translation>密码为6位数字，请重新输入。</translation>
    </message>
</context>
<context>
    <name>PaymentPanel</name>
    <message>
        <source>Payment</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Amount due</source>
        <translation>应收</translation>
    </message>
    <message>
        <source>Tendered</source>
        <translation>实收</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>找零</translation>
    </message>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>e-CNY</source>
        <translation>数字人民币</translation>
    </message>
    <message>
        <source>not an amount</source>
        <translation>不是有效金额</translation>
    </message>
    <message>
        <source>short by ¥ %1</source>
        <translation>还差 ¥ %1</translation>
    </message>
    <message>
        <source>Personal account: none or empty</source>
        <translation>个人账户：无或余额为零</translation>
    </message>
    <message>
        <source>Personal account: USED (balance ¥ %1) — F6: do not use</source>
        <translation>个人账户：使用（余额 ¥ %1）—— F6 不使用</translation>
    </message>
    <message>
        <source>Personal account: not used (balance ¥ %1) — F6: use it</source>
        <translation>个人账户：不使用（余额 ¥ %1）—— F6 使用</translation>
    </message>
</context>
<context>
    <name>PrecheckDialog</name>
    <message>
        <source>Pre-settlement warnings (事前提醒)</source>
        <translation>事前提醒</translation>
    </message>
    <message>
        <source>Check these %1 warning(s) before settling; ask the patient or the doctor where needed:</source>
        <translation>结算前请核对以下 %1 条事前提醒，必要时与患者或医生确认：</translation>
    </message>
    <message>
        <source>Enter: confirmed, settle. Esc: back to the case.</source>
        <translation>按 Enter 确认已核对并继续结算；按 Esc 返回修改。</translation>
    </message>
    <message>
        <source>Confirm and settle</source>
        <translation>确认并结算</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回修改</translation>
    </message>
</context>
<context>
    <name>ReferenceDialog</name>
    <message>
        <source>Payment reference</source>
        <translation>交易参考号</translation>
    </message>
    <message>
        <source>Charge ¥ %1 on the POS terminal, then type the reference number (参考号) printed on its slip and press Enter.</source>
        <translation>请在 POS 终端刷卡 ¥ %1，然后输入签购单上的参考号并按回车。</translation>
    </message>
    <message>
        <source>¥ %1 by %2 outside the payment gateway: type the transaction number the merchant app shows and press Enter.</source>
        <translation>¥ %1 经%2在聚合支付以外收款：请输入商户端显示的交易单号并按回车。</translation>
    </message>
    <message>
        <source>Book the payment</source>
        <translation>记账</translation>
    </message>
    <message>
        <source>Type the whole reference number (at least 4 characters, no spaces).</source>
        <translation>请输入完整的参考号（至少4位，不含空格）。</translation>
    </message>
</context>
<context>
    <name>ScanBoxPickerDialog</name>
    <message>
        <source>Training scan box: who shows the e-voucher / faces the camera</source>
        <translation>培训扫码盒：选择出示医保电子凭证/刷脸的培训人员</translation>
    </message>
</context>
<context>
    <name>SelfPayDialog</name>
    <message>
        <source>Full self-pay (转自费)</source>
        <translation>转自费（全自费）</translation>
    </message>
    <message>
        <source>The patient pays the whole amount; nothing is sent to the insurance centre. The receipt is marked 全自费 and can be claimed at the insured place.</source>
        <translation>患者全额自付，不向医保中心发送交易。票据标记“全自费”，患者可凭票据到参保地申请报销。</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>患者</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Settle as self-pay</source>
        <translation>按全自费收费</translation>
    </message>
    <message>
        <source>Type the patient&apos;s name (for the receipt and the e-invoice).</source>
        <translation>请输入患者姓名（用于票据和电子票据）。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Site settings</source>
        <translation>站点设置</translation>
    </message>
    <message>
        <source>empty = system default printer</source>
        <translation>留空 = 系统默认打印机</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>回车</translation>
    </message>
    <message>
        <source>Tab</source>
        <translation>Tab 键</translation>
    </message>
    <message>
        <source>Enter or Tab</source>
        <translation>回车或 Tab</translation>
    </message>
    <message>
        <source>none (pause ends the scan)</source>
        <translation>无（停顿即结束）</translation>
    </message>
    <message>
        <source>Large font</source>
        <translation>大字体</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>Platform URL</source>
        <translation>医保中心地址</translation>
    </message>
    <message>
        <source>Institution code</source>
        <translation>定点医药机构编号</translation>
    </message>
    <message>
        <source>Institution name</source>
        <translation>定点医药机构名称</translation>
    </message>
    <message>
        <source>Region code (admdvs)</source>
        <translation>就医地医保区划</translation>
    </message>
    <message>
        <source>Hospital level</source>
        <translation>医院等级</translation>
    </message>
    <message>
        <source>Window number</source>
        <translation>窗口编号</translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation>票据打印机</translation>
    </message>
    <message>
        <source>Scanner max gap</source>
        <translation>扫码枪按键间隔上限</translation>
    </message>
    <message>
        <source>Scanner suffix</source>
        <translation>扫码枪结束符</translation>
    </message>
    <message>
        <source>Scanner min length</source>
        <translation>扫码最短长度</translation>
    </message>
    <message>
        <source>Idle lock</source>
        <translation>空闲锁屏</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
</context>
<context>
    <name>SettlementDetailsDialog</name>
    <message>
        <source>Settlement details</source>
        <translation>结算明细</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Meaning</source>
        <translation>含义</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Fund payments (setldetail)</source>
        <translation>基金分项支付 (setldetail)</translation>
    </message>
    <message>
        <source>Fund type</source>
        <translation>基金类型</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
</context>
<context>
    <name>SettlementPanel</name>
    <message>
        <source>Settlement</source>
        <translation>结算</translation>
    </message>
    <message>
        <source>Total fee</source>
        <translation>医疗费总额</translation>
    </message>
    <message>
        <source>Fund pays</source>
        <translation>基金支付</translation>
    </message>
    <message>
        <source>Personal account</source>
        <translation>个人账户支付</translation>
    </message>
    <message>
        <source>Patient pays (cash part)</source>
        <translation>个人现金支付</translation>
    </message>
    <message>
        <source>Not pre-settled yet (F5)</source>
        <translation>尚未预结算 (F5)</translation>
    </message>
</context>
<context>
    <name>ShiftCloseDialog</name>
    <message>
        <source>Close shift</source>
        <translation>交班结账</translation>
    </message>
    <message>
        <source>Shift %1 — opened %2, opening float ¥ %3</source>
        <translation>班次 %1 — 开班 %2，备用金 ¥ %3</translation>
    </message>
    <message>
        <source>not sent yet</source>
        <translation>尚未上传</translation>
    </message>
    <message>
        <source>being sent</source>
        <translation>正在上传</translation>
    </message>
    <message>
        <source>send failed, retrying</source>
        <translation>上传失败，稍后重试</translation>
    </message>
    <message>
        <source>refused, needs the insurance office</source>
        <translation>被拒，待医保办处理</translation>
    </message>
    <message>
        <source>result unknown</source>
        <translation>结果待确认</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>…… 另有 %1 笔</translation>
    </message>
    <message>
        <source>The shift cannot be closed: %1 item(s) are still open. Restore the connection and let the window send them (or run recovery). A supervisor may force the close.</source>
        <translation>不能交班：还有 %1 笔业务未处理。请恢复网络，等待本窗口自动补传（或执行恢复）；确需交班请由收费组长授权强制交班。</translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation>收款方式</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>应有</translation>
    </message>
    <message>
        <source>Counted</source>
        <translation>实点</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>差额</translation>
    </message>
    <message>
        <source>Partial refunds in this shift (included above): %1</source>
        <translation>本班次部分退费（已计入上面的应有金额）：%1</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>Confirm the over/short (长短款): counted twice, the difference is real</source>
        <translation>确认长短款（已再次清点，差额属实）</translation>
    </message>
    <message>
        <source>Reason of the over/short, e.g. wrong change given</source>
        <translation>长短款原因，例如：找零差错</translation>
    </message>
    <message>
        <source>Offline: the reconciliation with the insurance centre (3201/3202) is done later.</source>
        <translation>离线：与医保中心的对账（3201/3202）需稍后进行。</translation>
    </message>
    <message>
        <source>Supervisor: force close…</source>
        <translation>组长授权强制交班…</translation>
    </message>
    <message>
        <source>Enter the counted amount for every payment method, e.g. 1234.50.</source>
        <translation>请为每种收款方式输入实点金额，例如 1234.50。</translation>
    </message>
    <message>
        <source>Over/short: %1. Count again; if it is right, tick “confirm the over/short” and give the reason.</source>
        <translation>长短款：%1。请再次清点；确认无误后勾选“确认长短款”并填写原因。</translation>
    </message>
    <message>
        <source>Give the reason of the over/short (it is printed on the Z report).</source>
        <translation>请填写长短款原因（将打印在日结报表上）。</translation>
    </message>
    <message>
        <source>Open items remain: only a supervisor may force the close.</source>
        <translation>仍有未处理业务：只能由收费组长授权强制交班。</translation>
    </message>
    <message>
        <source>Not authorized: the shift stays open.</source>
        <translation>未获授权，班次未交。</translation>
    </message>
    <message>
        <source>A forced close needs a reason: authorize again and type the reason.</source>
        <translation>强制交班须填写原因：请重新授权并填写原因。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Operator sign-in</source>
        <translation>操作员登录</translation>
    </message>
    <message>
        <source>The window is locked. Operator %1 enters the password to continue.</source>
        <translation>窗口已锁定。请操作员 %1 输入密码继续。</translation>
    </message>
    <message>
        <source>Operator code</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Enter the operator code and the password.</source>
        <translation>请输入工号和密码。</translation>
    </message>
</context>
<context>
    <name>StayFormDialog</name>
    <message>
        <source>Department code</source>
        <translation>科室编码</translation>
    </message>
    <message>
        <source>Department (ward)</source>
        <translation>科室（病区）</translation>
    </message>
    <message>
        <source>Bed</source>
        <translation>床位</translation>
    </message>
    <message>
        <source>Doctor code</source>
        <translation>主治医生编码</translation>
    </message>
    <message>
        <source>Doctor</source>
        <translation>主治医生</translation>
    </message>
    <message>
        <source>Diagnosis code</source>
        <translation>入院诊断编码</translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation>入院诊断</translation>
    </message>
    <message>
        <source>Admission time</source>
        <translation>入院时间</translation>
    </message>
    <message>
        <source>yyyy-MM-dd HH:mm:ss (empty: now)</source>
        <translation>yyyy-MM-dd HH:mm:ss（不填为当前时间）</translation>
    </message>
    <message>
        <source>Admit (2401)</source>
        <translation>入院登记（2401）</translation>
    </message>
    <message>
        <source>Change (2403)</source>
        <translation>变更（2403）</translation>
    </message>
    <message>
        <source>Fill in every field (department, bed, doctor, diagnosis).</source>
        <translation>请填写全部项目（科室、床位、医生、诊断）。</translation>
    </message>
</context>
<context>
    <name>SupervisorDialog</name>
    <message>
        <source>Supervisor authorization</source>
        <translation>组长授权</translation>
    </message>
    <message>
        <source>Action needing authorization: %1</source>
        <translation>需要授权的操作：%1</translation>
    </message>
    <message>
        <source>A supervisor other than the signed-in cashier enters their own code and password.</source>
        <translation>请由当前收费员以外的收费组长输入本人工号和密码。</translation>
    </message>
    <message>
        <source>Supervisor code</source>
        <translation>组长工号</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Authorize</source>
        <translation>授权</translation>
    </message>
    <message>
        <source>Enter the supervisor code and password.</source>
        <translation>请输入组长工号和密码。</translation>
    </message>
</context>
<context>
    <name>SyncDialog</name>
    <message>
        <source>Synchronising with the insurance centre</source>
        <translation>与医保中心同步</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>TodaySettlementsDialog</name>
    <message>
        <source>Today&apos;s settlements (今日结算)</source>
        <translation>今日结算</translation>
    </message>
    <message>
        <source>Search: name, last digits of the ID number, settlement number</source>
        <translation>搜索：姓名、身份证号末位、结算号</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Settlement no.</source>
        <translation>结算号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>总额</translation>
    </message>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>收费员</translation>
    </message>
    <message>
        <source>Choose</source>
        <translation>选择</translation>
    </message>
    <message>
        <source>%1 of %2 settlements today</source>
        <translation>今日共 %2 笔结算，显示 %1 笔</translation>
    </message>
    <message>
        <source>insurance</source>
        <translation>医保</translation>
    </message>
    <message>
        <source>full self-pay</source>
        <translation>全自费</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>settled</source>
        <translation>已结算</translation>
    </message>
    <message>
        <source>reversed</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>offline, to send</source>
        <translation>离线待上传</translation>
    </message>
    <message>
        <source>result unknown</source>
        <translation>结果待确认</translation>
    </message>
    <message>
        <source>No settlement matches: change the search.</source>
        <translation>没有符合条件的结算，请修改搜索条件。</translation>
    </message>
</context>
<context>
    <name>TraceDialog</name>
    <message>
        <source>Why this amount</source>
        <translation>为什么是这个金额</translation>
    </message>
</context>
<context>
    <name>TrainingHint</name>
    <message>
        <source>, must change the password at the first sign-in</source>
        <translation>，首次登录须修改密码</translation>
    </message>
    <message>
        <source>Training accounts (shown in training only): %1. After the first sign-in the cashier sets a new password (at least %2 characters, not only digits, not the operator code) and uses it from then on.</source>
        <translation>培训模式账号（仅培训环境显示）：%1。收费员首次登录后按提示设置新密码（至少%2位，不能全是数字，不能与工号相同），以后用新密码登录。</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>Training: supervisor accounts %1</source>
        <translation>培训模式：组长账号 %1</translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>male</source>
        <translation>男</translation>
    </message>
    <message>
        <source>female</source>
        <translation>女</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>employee basic medical insurance</source>
        <translation>职工基本医疗保险</translation>
    </message>
    <message>
        <source>civil-servant medical subsidy</source>
        <translation>公务员医疗补助</translation>
    </message>
    <message>
        <source>large medical expense subsidy</source>
        <translation>大额医疗费用补助</translation>
    </message>
    <message>
        <source>retired cadres&apos; medical care</source>
        <translation>离休人员医疗保障</translation>
    </message>
    <message>
        <source>urban and rural resident basic medical insurance</source>
        <translation>城乡居民基本医疗保险</translation>
    </message>
    <message>
        <source>resident critical-illness insurance</source>
        <translation>城乡居民大病医疗保险</translation>
    </message>
    <message>
        <source>maternity insurance</source>
        <translation>生育保险</translation>
    </message>
    <message>
        <source>employee, in service</source>
        <translation>职工在职</translation>
    </message>
    <message>
        <source>civil servant, in service</source>
        <translation>公务员在职</translation>
    </message>
    <message>
        <source>flexible employment, in service</source>
        <translation>灵活就业人员在职</translation>
    </message>
    <message>
        <source>employee, retired</source>
        <translation>职工退休</translation>
    </message>
    <message>
        <source>civil servant, retired</source>
        <translation>公务员退休</translation>
    </message>
    <message>
        <source>flexible employment, retired</source>
        <translation>灵活就业人员退休</translation>
    </message>
    <message>
        <source>retired cadre</source>
        <translation>离休人员</translation>
    </message>
    <message>
        <source>newborn</source>
        <translation>新生儿</translation>
    </message>
    <message>
        <source>pre-school child</source>
        <translation>学龄前儿童</translation>
    </message>
    <message>
        <source>pupil</source>
        <translation>中小学生</translation>
    </message>
    <message>
        <source>university student</source>
        <translation>大学生</translation>
    </message>
    <message>
        <source>adult resident</source>
        <translation>普通居民（成年）</translation>
    </message>
    <message>
        <source>local</source>
        <translation>本地</translation>
    </message>
    <message>
        <source>demo zone: no filing needed</source>
        <translation>示范区免备案</translation>
    </message>
    <message>
        <source>filed (long-term)</source>
        <translation>已备案(长期)</translation>
    </message>
    <message>
        <source>referral filed</source>
        <translation>转诊备案</translation>
    </message>
    <message>
        <source>emergency away from home</source>
        <translation>异地急诊抢救</translation>
    </message>
    <message>
        <source>not filed</source>
        <translation>未备案</translation>
    </message>
    <message>
        <source>Insured place and treatment place are in the same pool: local benefits.</source>
        <translation>参保地与就医地同属一个统筹区，按本地待遇结算。</translation>
    </message>
    <message>
        <source>Yangtze River Delta demo zone: outpatient and emergency visits are settled directly without filing, at full benefits.</source>
        <translation>长三角示范区内门急诊免备案直接结算，不降低待遇。</translation>
    </message>
    <message>
        <source>Long-term residence filing: settled directly at the filed benefits.</source>
        <translation>已办理异地长期居住/常驻备案，按备案地待遇直接结算。</translation>
    </message>
    <message>
        <source>Referral filing: settled directly at the referral benefits.</source>
        <translation>已办理转诊备案，按转诊待遇直接结算。</translation>
    </message>
    <message>
        <source>Settled at the benefits for emergency care away from home.</source>
        <translation>按异地急诊抢救待遇结算。</translation>
    </message>
    <message>
        <source>No cross-region filing: the insured place lowers the reimbursement or requires filing first.</source>
        <translation>未办理异地就医备案，按参保地规定降低报销比例或需先备案。</translation>
    </message>
    <message>
        <source>A (甲)</source>
        <translation>甲</translation>
    </message>
    <message>
        <source>B (乙)</source>
        <translation>乙</translation>
    </message>
    <message>
        <source>C (丙)</source>
        <translation>丙</translation>
    </message>
    <message>
        <source>caps.</source>
        <translation>粒</translation>
    </message>
    <message>
        <source>tab.</source>
        <translation>片</translation>
    </message>
    <message>
        <source>box</source>
        <translation>盒</translation>
    </message>
    <message>
        <source>amp.</source>
        <translation>支</translation>
    </message>
    <message>
        <source>bottle</source>
        <translation>瓶</translation>
    </message>
    <message>
        <source>bag</source>
        <translation>袋</translation>
    </message>
    <message>
        <source>time</source>
        <translation>次</translation>
    </message>
    <message>
        <source>day</source>
        <translation>日</translation>
    </message>
    <message>
        <source>item</source>
        <translation>项</translation>
    </message>
    <message>
        <source>pc.</source>
        <translation>个</translation>
    </message>
    <message>
        <source>sheet</source>
        <translation>张</translation>
    </message>
    <message>
        <source>pill</source>
        <translation>丸</translation>
    </message>
    <message>
        <source>patch</source>
        <translation>贴</translation>
    </message>
    <message>
        <source>visit</source>
        <translation>人次</translation>
    </message>
    <message>
        <source>h</source>
        <translation>小时</translation>
    </message>
    <message>
        <source>bed-day</source>
        <translation>床日</translation>
    </message>
    <message>
        <source>dose</source>
        <translation>剂</translation>
    </message>
    <message>
        <source>set</source>
        <translation>套</translation>
    </message>
    <message>
        <source>pack</source>
        <translation>包</translation>
    </message>
    <message>
        <source>stick</source>
        <translation>根</translation>
    </message>
</context>
</TS>
