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
        <source>%1 charge lines from the HIS. F5 shows the provisional amount.</source>
        <translation>已从 HIS 取得 %1 条费用。按 F5 显示临时结算金额。</translation>
    </message>
    <message>
        <source>Fetching the charges from the HIS…</source>
        <translation>正在从 HIS 获取费用…</translation>
    </message>
    <message>
        <source>Computing the provisional offline settlement…</source>
        <translation>正在计算离线临时结算…</translation>
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
        <source>Settled offline. Change ¥ %1. Receipt: %2</source>
        <translation>离线结算完成。找零 ¥ %1。票据：%2</translation>
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
    <name>MainWindow</name>
    <message>
        <source>TRAINING MODE — practice data only, nothing is sent to the real insurance centre, receipts are marked 培训模式</source>
        <extracomment>emitted after every finished step (tests wait on it): step name emitted when a step failed: (step, message) the connectivity monitor&apos;s state changed (ConnStatus), relayed from the worker thread</extracomment>
        <translation>培训模式 — 仅为练习数据，不会发送到真实医保中心，票据均标注“培训模式”</translation>
    </message>
    <message>
        <source>Dismiss (Esc)</source>
        <translation>关闭提示 (Esc)</translation>
    </message>
    <message>
        <source>Add an item: pinyin initials, name or code, ↓ to pick, Enter adds (Ctrl+F)</source>
        <translation>添加项目：输入拼音首字母、名称或编码，↓ 选择，回车添加 (Ctrl+F)</translation>
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
        <source>HIS charges</source>
        <translation>取HIS费用</translation>
    </message>
    <message>
        <source>Pre-settle</source>
        <translation>预结算</translation>
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
        <source>Reverse a settlement (supervisor)</source>
        <translation>撤销结算（需组长授权）</translation>
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
        <source>Close shift…</source>
        <translation>交班结账…</translation>
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
        <source>Unexpected error: %1
The error was logged; tell the IT department if it happens again.</source>
        <translation>意外错误：%1
错误已记录日志；如再次出现请告知信息科。</translation>
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
        <source>What to do: the result is UNKNOWN. Do NOT settle again and do not take money twice. Run Synchronise (Ctrl+S); the settlement will be confirmed by query.</source>
        <translation>处理办法：交易结果未知。请勿重复结算、勿重复收费！请执行同步（Ctrl+S），系统将向医保中心查询确认该笔结算。</translation>
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
        <source>%1 items, total ¥ %2</source>
        <translation>共 %1 项，合计 ¥ %2</translation>
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
        <source>Identified from the local cache (the insurance centre is not reachable).</source>
        <translation>已按本机缓存识别（医保中心暂时无法连接）。</translation>
    </message>
    <message>
        <source>Patient identified. F4 takes the HIS charges, or add items in the search box.</source>
        <translation>患者已识别。按 F4 取 HIS 费用，或在搜索框中添加项目。</translation>
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
        <source>Fetching the charges from the HIS…</source>
        <translation>正在从 HIS 获取费用…</translation>
    </message>
    <message>
        <source>%1 charge lines from the HIS. F5 pre-settles.</source>
        <translation>已从 HIS 取得 %1 条费用明细。按 F5 预结算。</translation>
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
        <source>Added %1.</source>
        <translation>已添加 %1。</translation>
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
        <source>The cash tendered (%1) is less than the amount due (%2).</source>
        <translation>实收现金（%1）少于应收金额（%2）。</translation>
    </message>
    <message>
        <source>Settling (this charges the insurance)…</source>
        <translation>正在结算（医保基金将扣费）…</translation>
    </message>
    <message>
        <source>SETTLED — settlement %1</source>
        <translation>已结算 — 结算号 %1</translation>
    </message>
    <message>
        <source>Settled. Change ¥ %1. Receipt: %2</source>
        <translation>结算完成。找零 ¥ %1。票据：%2</translation>
    </message>
    <message>
        <source>No calculation trace yet: pre-settle first (F5). The trace needs the local policy bundle (Ctrl+S synchronises).</source>
        <translation>还没有计算过程：请先预结算（F5）。计算过程需要本机的待遇政策包（Ctrl+S 同步）。</translation>
    </message>
    <message>
        <source>Total ¥ %1 = fund ¥ %2 + account ¥ %3 + cash ¥ %4</source>
        <translation>总额 ¥ %1 = 基金 ¥ %2 + 个人账户 ¥ %3 + 现金 ¥ %4</translation>
    </message>
    <message>
        <source>OFFLINE — the insurance centre cannot be reached. Offline emergency settlement: identify by card (F2) or ID number (F3) from the cache; amounts are provisional and sent when it is back.</source>
        <translation>离线 — 无法连接医保中心。可离线应急结算：读社保卡（F2）或输入身份证号（F3）从本机缓存识别患者；金额为临时结算，恢复连接后自动补传。</translation>
    </message>
    <message>
        <source>Ready for the next patient.</source>
        <translation>可以接待下一位患者。</translation>
    </message>
    <message>
        <source>There is no settlement at this window yet.</source>
        <translation>本窗口还没有结算记录。</translation>
    </message>
    <message>
        <source>Settlement %1 is %2 and cannot be reversed.</source>
        <translation>结算 %1 的状态为 %2，不能撤销。</translation>
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
        <source>REVERSED — settlement %1 was cancelled; refund the patient.</source>
        <translation>已撤销 — 结算 %1 已冲销，请向患者退款。</translation>
    </message>
    <message>
        <source>Settlement reversed.</source>
        <translation>结算已撤销。</translation>
    </message>
    <message>
        <source>Reprint the receipt of settlement %1</source>
        <translation>补打结算 %1 的票据</translation>
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
    <message>
        <source>&lt;h3&gt;Keyboard&lt;/h3&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F1&lt;/b&gt;&lt;/td&gt;&lt;td&gt;this help&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F2&lt;/b&gt;&lt;/td&gt;&lt;td&gt;read the social-security card&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F3&lt;/b&gt;&lt;/td&gt;&lt;td&gt;type the ID number (the scanner works any time)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F4&lt;/b&gt;&lt;/td&gt;&lt;td&gt;take the charges from the HIS&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+F&lt;/b&gt;&lt;/td&gt;&lt;td&gt;search the catalogue (pinyin initials), Enter adds&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;pre-settle with the insurance centre&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Alt+1…5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;cash, bank card, WeChat, Alipay, e-CNY&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F9 / Enter&lt;/b&gt;&lt;/td&gt;&lt;td&gt;settle (in the tendered field)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F12&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reprint (supervisor, marked 补打)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Esc&lt;/b&gt;&lt;/td&gt;&lt;td&gt;dismiss a message / next patient&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+I&lt;/b&gt;&lt;/td&gt;&lt;td&gt;inpatient discharge settlement&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+R&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reverse a same-day settlement (supervisor)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+D / Ctrl+W&lt;/b&gt;&lt;/td&gt;&lt;td&gt;all settlement fields / why this amount&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+S&lt;/b&gt;&lt;/td&gt;&lt;td&gt;synchronise&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+J / Ctrl+K&lt;/b&gt;&lt;/td&gt;&lt;td&gt;adjustment records / close shift&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+L / Ctrl+Q&lt;/b&gt;&lt;/td&gt;&lt;td&gt;lock / sign out&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</source>
        <translation>&lt;h3&gt;快捷键&lt;/h3&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F1&lt;/b&gt;&lt;/td&gt;&lt;td&gt;本帮助&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F2&lt;/b&gt;&lt;/td&gt;&lt;td&gt;读社保卡&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F3&lt;/b&gt;&lt;/td&gt;&lt;td&gt;输入身份证号（扫码枪随时可用）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F4&lt;/b&gt;&lt;/td&gt;&lt;td&gt;从 HIS 取费用&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+F&lt;/b&gt;&lt;/td&gt;&lt;td&gt;搜索目录（拼音首字母），回车添加&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;向医保中心预结算&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Alt+1…5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;现金、银行卡、微信、支付宝、数字人民币&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F9 / Enter&lt;/b&gt;&lt;/td&gt;&lt;td&gt;结算（在实收框中按回车）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F12&lt;/b&gt;&lt;/td&gt;&lt;td&gt;补打（需组长授权，标注补打）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Esc&lt;/b&gt;&lt;/td&gt;&lt;td&gt;关闭提示 / 下一位患者&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+I&lt;/b&gt;&lt;/td&gt;&lt;td&gt;住院出院结算&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+R&lt;/b&gt;&lt;/td&gt;&lt;td&gt;撤销当日结算（需组长授权）&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+D / Ctrl+W&lt;/b&gt;&lt;/td&gt;&lt;td&gt;全部结算字段 / 为什么是这个金额&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+S&lt;/b&gt;&lt;/td&gt;&lt;td&gt;同步&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+J / Ctrl+K&lt;/b&gt;&lt;/td&gt;&lt;td&gt;退补差额记录 / 交班结账&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+L / Ctrl+Q&lt;/b&gt;&lt;/td&gt;&lt;td&gt;锁屏 / 签退&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</translation>
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
    <name>PatientPanel</name>
    <message>
        <source>No patient — scan the e-voucher, read the card (F2) or enter the ID (F3)</source>
        <translation>未识别患者 — 请扫医保电子凭证、读社保卡 (F2) 或输入身份证号 (F3)</translation>
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
        <source>%1 years</source>
        <translation>%1 岁</translation>
    </message>
    <message>
        <source>Insurance SUSPENDED: the insurance cannot pay. Settle as self-pay or ask the patient to contact the insurance office.</source>
        <translation>参保暂停：医保不能支付。请按自费结算，或请患者联系参保地医保经办机构。</translation>
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
        <source>short by %1</source>
        <translation>还差 %1</translation>
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
    <name>TraceDialog</name>
    <message>
        <source>Why this amount</source>
        <translation>为什么是这个金额</translation>
    </message>
</context>
</TS>
