<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AdjustmentsDialog</name>
    <message>
        <source>Adjustment records (refunds / supplements)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No adjustment records.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Direction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid out / taken by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark done (money refunded / collected)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund to patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collect from patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pending</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a pending record first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AmountDialog</name>
    <message>
        <source>Type an amount greater than 0.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CardPickerDialog</name>
    <message>
        <source>Training card reader: insert a card</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training mode has no physical reader. Pick the card to insert (↑/↓, Enter).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insert card</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <source>Change your password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: this is the first sign-in with an initial password. Set your own password to continue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At least %1 characters, not only digits, not your operator code, not the initial password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training mode: any password that follows the rules, e.g. your own practice password; remember it for the next sign-in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the new password twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two passwords differ; type the new password again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChargesModel</name>
    <message>
        <source>No.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Item</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Price</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-pay %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co-pay first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Covered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class A: fully within the insurance scope</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class B: the patient pays the self-pay ratio first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class C: not covered, paid by the patient in full</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DayworkMixin</name>
    <message>
        <source>Online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recovering</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partly down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>insurance centre</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HIS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e-invoice platform</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outbox %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>to back-settle %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cache %1 h old</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recovery: confirming unknown results and sending queued items…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start-up recovery could not run: %1
Do not close the shift; Synchronise (Ctrl+S) when the insurance centre is reachable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Items remain unresolved: do not settle these patients again; the shift cannot be closed until they are resolved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline settlements sent to the insurance centre: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance settled afterwards (医保补结算) for %1 offline self-pay visit(s); refund the fund&apos;s share to the patients (adjustment records, Ctrl+J).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The insurance centre refused 补结算 of %1 visit(s); they stay full self-pay with the reason recorded (medsettle offline list).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The insurance centre refused %1 offline settlement(s); they wait for the insurance office (the shift cannot be closed until resolved).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund ¥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>collect ¥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The insurance centre&apos;s result differs from the offline settlement — adjustment records created (Ctrl+J):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE: the e-voucher cannot be read without the insurance centre. Ask for the social security card (F2) or the ID number (F3) to settle offline (离线应急结算).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying from the local cache (offline)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE EMERGENCY SETTLEMENT — patient from this window&apos;s cache. Add the charges (Ctrl+F search, F4 HIS), F5 shows the provisional amount, F9 settles; the insurance centre&apos;s result is final and differences are refunded/collected later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline: patient identified from the cache.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adding the item…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The case already has charges; cancel it (Esc) to take other bills.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The HIS has no unpaid outpatient bill for this patient. Add the items with the catalogue search (Ctrl+F).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 charge lines from the HIS. F5 shows the amount due.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pricing the bills…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fetching the bills from the HIS…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Totalling the full self-pay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE · FULL SELF-PAY (全自费) — the patient pays the whole amount; when the insurance centre is back the visit is settled afterwards (医保补结算) and the fund&apos;s share is refunded to the patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE · FULL SELF-PAY (全自费) — not an insurance settlement; the receipt is the proof for reimbursement at the insured place.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Charge the whole amount ¥ %1 as full self-pay (全自费)? The visit is settled with the insurance afterwards (医保补结算) when the insurance centre is back and the fund&apos;s share is refunded to the patient. Otherwise wait until the insurance centre is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED AS FULL SELF-PAY (全自费收据) — queued for 医保补结算; the fund&apos;s share is refunded when the insurance centre is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled. Esc: next patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computing the provisional offline settlement…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not insured / no insurance record</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>insurance suspended (暂停参保)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused by the insurance centre</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the patient does not use the insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>other reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE · PROVISIONAL (离线·临时结算) — the insurance centre&apos;s result is final; any difference is refunded or collected later. The personal account is not used offline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>• no cached policy for the insured place</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline insurance settlement is not possible:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Charge the whole amount ¥ %1 as full self-pay (全自费)? The patient can claim reimbursement at the insured place with the receipt. Otherwise wait until the insurance centre is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline limits exceeded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Full self-pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FULL SELF-PAY (全自费) — not an insurance settlement; the receipt is the proof for reimbursement at the insured place.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline: amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FULL SELF-PAY (转自费) — no insurance transaction is sent; the patient pays ¥ %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Full self-pay: amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The charges are already with the insurance centre. Cancel the case (Esc), identify the patient again and choose self-pay (F8) before F5.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FULL SELF-PAY (转自费): %1. F4 takes the HIS bills (or Ctrl+F adds items), F5 shows the amount due, F9 takes the payment. Nothing is sent to the insurance centre.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settling as full self-pay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settling offline…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED AS FULL SELF-PAY (全自费) — not sent to the insurance centre.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED OFFLINE (离线结算, provisional) — queued; sent when the insurance centre is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift %1 opened, opening float ¥ %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preparing the shift close…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Force the shift close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing the shift and reconciling with the insurance centre…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FORCED by supervisor %1 with open items.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: expected ¥ %2, counted ¥ %3, difference ¥ %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over/short confirmed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation with the insurance centre (3201/3202): balanced, %1 records.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation NOT balanced — settlements to check:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation not done: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation not done (offline); reconcile when the insurance centre is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Z report: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DepositDialog</name>
    <message>
        <source>Take a deposit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the deposit amount and press Enter. Then type the cash handed over and press Enter — or SCAN the patient&apos;s payment code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty = exactly the amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cash tendered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take in cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the deposit amount first (greater than 0).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The cash tendered (¥ %1) is less than the deposit (¥ %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That was not a payment code. Ask the patient to open the payment code (微信/支付宝/云闪付) and scan it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DiseasePickerDialog</name>
    <message>
        <source>Chronic/special disease: choose the disease</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The patient has several chronic-disease filings valid today. Choose the disease of this visit (↑/↓, Enter).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FinanceDialog</name>
    <message>
        <source>Hospital finance</source>
        <extracomment>emitted when a load or a reconciliation finished (tests wait on it): &quot;summary&quot; | &quot;reconcile&quot;</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconcile the hospital (F9)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount (yuan)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All windows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open items: %1 unknown outcomes, %2 entries not yet replicated, %3 invoices waiting, %4 shares owed, %5 partial refunds unfinished; deposits held for %6 in-stay patients: ¥ %7</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not reconciled yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciled: balanced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciled: NOT balanced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital reconciliation balanced: %1 records.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital reconciliation NOT balanced: %1 records.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>MedSettle first start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This computer has no site configuration yet.

Start in training mode to practise with the built-in training platform (上海市青浦区培训医院, nothing is sent to the real insurance centre), or enter the site settings given by the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training mode (T)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter site settings (S)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HisBillsDialog</name>
    <message>
        <source>Unpaid HIS bills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The patient has %1 unpaid bills. Tick the ones to pay now (Space), then Enter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Department</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Doctor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bill no.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Visit type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take the ticked bills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 bill(s) ticked, total ¥ %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tick at least one bill (Space).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HospitalMixin</name>
    <message>
        <source>Hospital store: %1 waiting (unreachable)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital store: %1 waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital store: up to date</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>IdEntryDialog</name>
    <message>
        <source>Identify by ID number (F3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the 18-character resident ID number, or scan the e-voucher now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of 18 characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>male</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>female</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid: born %1, %2, age %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>InpatientScreen</name>
    <message>
        <source>Inpatient — admission, deposits, daily fees, discharge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In-stay patients</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient no. or name (Ctrl+F), ↑/↓ to choose</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient no.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fees by day (HIS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HIS amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not uploaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No stay chosen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit ledger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement: F9 pre-settles (mid-stay while in the ward, final after discharge).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fund</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patient cash share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit applied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To collect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund to patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cash tendered (for the rest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cash handed over, Enter settles — or scan a payment code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund deposit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upload day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upload all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel fees</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discharge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reverse settlement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel admission</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait a moment: the screen is still busy (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance centre message: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The result is UNKNOWN: do not repeat it and do not take money twice. Synchronise (Ctrl+S at the counter) runs the recovery.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Internal error: the step was not completed and the error was logged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At the counter: %1 (%2). F2 admits this patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No patient identified at the counter: identify first (scan / F2 card / F3 ID) to admit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the in-stay patients…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HIS fees could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the stay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No stay chosen. F2 admits the patient identified at the counter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1  %2  Inpatient no. %3  [%4]
%5 bed %6 · doctor %7 · %8 %9 · admitted %10%11</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, discharged %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit: taken ¥ %1 − refunded ¥ %2 − applied ¥ %3 = balance ¥ %4   ·   fees uploaded ¥ %5 (%6 lines), not yet settled ¥ %7</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pending</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify the patient at the counter first (scan the e-voucher, F2 card, F3 ID), then open 住院 (Ctrl+H) and press F2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the admission from the HIS…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From the HIS: inpatient no. %1. Check and press Enter through the fields.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The HIS has no admission for this patient (%1): type it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admit %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admitted (2401): %1, inpatient no. %2, visit %3. F4 takes the deposit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admitting (2401)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the admission of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changing the admission (2403)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admission changed (2403): bed %1, %2, doctor %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel the admission of %1 (inpatient no. %2) at the insurance centre (2404)?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling the admission (2404)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admission cancelled (2404): %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit for %1 (inpatient no. %2), balance ¥ %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit taken: ¥ %1 cash, receipt %2; change ¥ %3. Balance ¥ %4. F6 prints the receipt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit taken: ¥ %1 by %5 (trade %6), receipt %2. Balance ¥ %4. F6 prints the receipt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Taking the deposit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount to refund to %1 (balance ¥ %2). Payment-code deposits go back to their channel first, the rest in cash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund deposit ¥ %1 to %2 (inpatient no. %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not refunded: no supervisor authorization.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit refunded: %1. Balance ¥ %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refunding the deposit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt %1 printed (%2): %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Printing the deposit receipt…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the day to upload in the fees table.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>day %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all days so far</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fees uploaded (2301, %1): %2 lines, ¥ %3; %4 already uploaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not in the catalogue: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uploading the fees (2301)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel ALL unsettled uploaded fee lines of %1 (¥ %2) at the insurance centre (2302)?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling the fee lines (2302)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fee lines cancelled (2302): %1 lines, ¥ %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discharging (2402)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discharged (2402) at %1. F9 pre-settles the final settlement (出院结算).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-settling (2303)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FINAL settlement (出院结算)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MID-STAY settlement (中途结算)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>collect ¥ %1: type the cash in 实收 and press Enter, or scan a payment code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the deposit covers it; ¥ %1 goes back to the patient. F9 / Enter settles.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the deposit covers it. F9 / Enter settles.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 — pre-settled (2303), %2 lines: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collect ¥ %1: type the cash handed over (at least that) and press Enter, or scan a payment code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A scan arrived on the inpatient screen: only a payment code (for the rest of a settlement) is taken here. Close the screen (Esc) to identify another patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to collect now. To take a deposit by payment code press F4 first, then scan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED (2304) — settlement %1: total ¥ %2, fund ¥ %3, patient cash ¥ %4, from the deposit ¥ %5, collected ¥ %6.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change ¥ %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HAND BACK ¥ %1 in cash (deposit surplus).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 refunded to %2 (deposit surplus).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 to %2 NOT yet refunded (%3): recovery retries it, do not pay it in cash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deposit balance now ¥ %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement form: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled: final (出院结算), the stay is closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled: mid-stay (中途结算); the patient stays in the ward.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled (2304): the figures and what to hand back are in the settlement panel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settling (2304)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reverse stay settlement %1 (%2, ¥ %3; deposit applied ¥ %4 goes back to the balance)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not reversed: no supervisor authorization.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>REVERSED (2305) — settlement %1. Deposit restored: balance ¥ %2. Money collected on top: %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reversing the settlement (2305)…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>TRAINING MODE — practice data only, nothing is sent to the real insurance centre, receipts are marked 培训模式</source>
        <extracomment>emitted after every finished step (tests wait on it): step name emitted when a step failed: (step, message) the connectivity monitor&apos;s state changed (ConnStatus), relayed from the worker thread a payment code is USERPAYING (the patient types the password on the phone): out_trade_no, relayed from the settle worker (client.services.codepay polls; Esc cancels → reverse)</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE — the insurance centre cannot be reached. Identify by card (F2) or ID number (F3) from the cache; the patient pays in full (全自费 receipt) and the visit is settled with the insurance afterwards (医保补结算) when it is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All fields (Ctrl+D)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why this amount? (Ctrl+W)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read card</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID / scan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-settle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today&apos;s list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reprint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Counter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient discharge settlement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient: admission, deposits, discharge…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reverse a settlement (supervisor)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collect an owed share (supervisor)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partial refund (supervisor)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove selected line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search the catalogue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decode e-voucher from image file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify by e-voucher (scan box)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify by face check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan with camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera scanning needs Qt Multimedia, which is not installed on this computer. Use the scanner or an image file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why this amount?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Synchronise now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adjustment records</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator administration…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital finance…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Item code mapping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TRAINING</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MedSettle cashier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance centre message: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the insurance centre refused this transaction (its message is shown above). Check the data it names and try again; if it persists, call the insurance office.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the insurance centre cannot be reached. Check the network and try again. Nothing was charged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: correct the input as described and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the local database cannot be used. Call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the configuration is incomplete. Call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: open your shift (Ctrl+K, type the opening float), then serve the patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: try again; if it persists, call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed in at the insurance centre (9001), sign_no %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed in locally, but the insurance centre sign-in (9001) failed: %1
Work continues; the sign-in is repeated before the next transaction.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-out at the insurance centre (9002) failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outpatient · FULL SELF-PAY</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outpatient · OFFLINE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outpatient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient discharge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outpatient · chronic disease %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 items, total ¥ %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NO SHIFT (Ctrl+K opens)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No shift is open: nobody can be served or charged. Open the shift (Ctrl+K) with the opening float, then serve the patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A scan arrived while a dialog was open; close the dialog and scan again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unrecognised scan: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait a moment: the window is still busy (%1). Then scan again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying by e-voucher…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying by card…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying by ID number…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The e-voucher and the face check need the insurance centre: identify by card (F2) or ID number (F3) while offline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying by face check…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identifying by e-voucher (scan box)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the insurance centre did not answer (1101): the patient came from this window&apos;s cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identified from the local cache (the insurance centre is not reachable).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No card reader is configured on this computer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-voucher image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No e-voucher QR code was found in the image. Take a sharper picture and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera scanning is not available on this computer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 charge lines from the HIS. F5 pre-settles.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the chronic disease before pre-settling (F5 asks again).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chronic disease: %1 %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing found for “%1”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify the patient first (scan the e-voucher, F2 card, F3 ID).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adding the item…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This line is already uploaded to the insurance centre and cannot be removed here; cancel the case (Esc) and start again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identify the patient first, then choose inpatient discharge (Ctrl+I).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The case already has charges; cancel it (Esc) before switching to inpatient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inpatient discharge: F4 takes the inpatient charges from the HIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait a moment: the window is still busy (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-settling with the insurance centre…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-settled — not yet charged. Take the payment, then F9.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount due ¥ %1. Type the tendered amount and press Enter or F9.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e-CNY</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan the patient&apos;s payment code (%1): with the payment gateway it is charged by scanning, never only recorded. Nothing was settled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not settled: the payment reference was not entered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A payment code was scanned, but nothing is due now: presettle first (F5), then scan the patient&apos;s payment code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for the patient to enter the password (Esc: cancel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not settled: the patient did not enter the password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settling (this charges the insurance)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ¥ %2 · trade %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED (needs review) — settlement %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED — settlement %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled — needs review: check with the platform. Esc: next patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No calculation trace yet: pre-settle first (F5). The trace needs the local policy bundle (Ctrl+S synchronises).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The receipt could not be printed (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h3&gt;Keyboard&lt;/h3&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F1&lt;/b&gt;&lt;/td&gt;&lt;td&gt;this help&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F2&lt;/b&gt;&lt;/td&gt;&lt;td&gt;read the social-security card&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F3&lt;/b&gt;&lt;/td&gt;&lt;td&gt;type the ID number (the scanner works any time)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F4&lt;/b&gt;&lt;/td&gt;&lt;td&gt;the patient&apos;s unpaid HIS bills (several: tick with Space)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+F&lt;/b&gt;&lt;/td&gt;&lt;td&gt;search the catalogue (pinyin initials; 3*… for three), Enter adds&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;pre-settle with the insurance centre&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F6&lt;/b&gt;&lt;/td&gt;&lt;td&gt;personal account: use / do not use&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F7&lt;/b&gt;&lt;/td&gt;&lt;td&gt;today&apos;s settlements (search, all fields)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F8&lt;/b&gt;&lt;/td&gt;&lt;td&gt;full self-pay (转自费), with the reason&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Alt+1…5&lt;/b&gt;&lt;/td&gt;&lt;td&gt;cash, bank card, WeChat, Alipay, e-CNY&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F9 / Enter&lt;/b&gt;&lt;/td&gt;&lt;td&gt;settle (in the tendered field)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;F12&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reprint from today&apos;s list (supervisor, marked 补打)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Esc&lt;/b&gt;&lt;/td&gt;&lt;td&gt;dismiss a message / next patient&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+I&lt;/b&gt;&lt;/td&gt;&lt;td&gt;inpatient discharge settlement&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+H&lt;/b&gt;&lt;/td&gt;&lt;td&gt;inpatient screen: admission, deposits, daily fees, discharge&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+R&lt;/b&gt;&lt;/td&gt;&lt;td&gt;reverse a same-day settlement from today&apos;s list (supervisor)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+T&lt;/b&gt;&lt;/td&gt;&lt;td&gt;partial refund: return some lines of a same-day settlement (supervisor)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+U&lt;/b&gt;&lt;/td&gt;&lt;td&gt;collect an owed share (scan a new payment code, or cash)&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+D / Ctrl+W&lt;/b&gt;&lt;/td&gt;&lt;td&gt;all settlement fields / why this amount&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+S&lt;/b&gt;&lt;/td&gt;&lt;td&gt;synchronise&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+J / Ctrl+K&lt;/b&gt;&lt;/td&gt;&lt;td&gt;adjustment records / open or close the shift&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;td&gt;&lt;b&gt;Ctrl+L / Ctrl+Q&lt;/b&gt;&lt;/td&gt;&lt;td&gt;lock / sign out&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Total ¥ %1 = fund ¥ %2 + account ¥ %3 + cash ¥ %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Visit type of items added by hand (HIS bills bring their own)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>general outpatient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>emergency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>chronic/special disease outpatient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add an item: pinyin initials, name or code (3*… for 3 of it), ↓ to pick, Enter adds (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HIS bills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open / close shift…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HIS message: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-invoice platform message: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Internal error: the step was not completed and the error was logged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: try again; if it happens again, tell the IT department (the log has the details).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the HIS does not answer. Press F4 again in a moment, or add the items with the catalogue search (Ctrl+F); if it persists, call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the HIS refused (reason above). Check the bill in the HIS, or call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: check the bill in the HIS; if it persists, call the IT department.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the e-invoice platform cannot be used now. The settlement is not affected; the e-invoice is issued automatically later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: check the card reader / scanner and its cable, or identify the patient another way (F2 card, F3 ID number, scan).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do: the result is UNKNOWN. Do NOT settle again and do not take money twice. Run Synchronise (Ctrl+S): recovery reverses the lost settlement at the insurance centre (2601) and then tells you to settle the patient again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance suspended: F8 settles the patient as full self-pay.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patient identified. F4 takes the HIS bills, or add items in the search box.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fetching the bills from the HIS…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The HIS has no unpaid bill for this patient. Add the items with the catalogue search (Ctrl+F).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Taking the bills from the HIS…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 more unpaid bill(s) not taken.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This case is settled. Press Esc for the next patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added %1 × %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the cash handed over in “Tendered” (amount due ¥ %1), then F9.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The cash tendered (¥ %1) is short by ¥ %2 of the amount due (¥ %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SETTLED · settlement %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change ¥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e-invoice %1-%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>receipt printed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>receipt %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 more unpaid bill(s): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled. Esc: next patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the settlement to show (Enter).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the settlement…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling the payment-code order…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready for the next patient.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only finance staff and administrators may open the hospital finance view.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no settlement at this window today.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading today&apos;s settlements…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the settlement to REVERSE (Enter). A supervisor authorizes it next.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement %1 (%2, %3) cannot be reversed here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the settlement to REPRINT (Enter). A supervisor authorizes it next.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reprint the receipt of settlement %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: insurance centre offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: insurance centre slow (4 s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: HIS disconnected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: payment gateway charges but the answer is lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: payment gateway slow (3 s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulate: payment gateway error (HTTP 500)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore normal service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan box: a training person steps up…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan box: busy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan box: times out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan box: the patient cancels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training: %1 (next e-voucher / face try).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reverse settlement %1 (%2, ¥ %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reversing the settlement…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund the patient ¥ %1 in cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 refunded to %2 (order %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 to %2 NOT yet refunded (order %3; recovery retries it — do not pay it in cash)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 by card: refund it at the POS terminal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today&apos;s settlements at this window. Enter shows all fields; F12 reprints, Ctrl+T partial refund; Ctrl+R reverses (from the main window).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the settlement for a PARTIAL REFUND (Enter): the returned lines are chosen next, a supervisor authorizes it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partial refund of settlement %1 (%2, ¥ %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partial refund: reversing and settling the kept lines again…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the settlement&apos;s lines…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PARTIAL REFUND done — settlement %1 reversed, kept lines settled again as %2. Patient&apos;s cash share ¥ %3 → ¥ %4, personal account ¥ %5 → ¥ %6 (the account difference goes back by the insurance). Refund ¥ %7: %8.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partial refund done.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>REVERSED — settlement %1 (%2) was cancelled; %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement reversed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No share is owed at this window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collect the owed share of %1 (%2, ¥ %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collecting the owed share…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the owed shares…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NOT collected: %1 order %2 — %3. The ¥ %4 stays owed; ask for another code or cash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, order %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Owed share collected: ¥ %1 (%2), authorised by %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Printing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reprinted (marked 补打, print %1): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Synchronising…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Synced %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Synchronisation finished.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MappingsDialog</name>
    <message>
        <source>Item code mapping (unmapped items)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not uploaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>revoked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mapped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All imported items are mapped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 items are not mapped. IT imports and uploads them (medsettle mapping import / upload).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>National code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OpenShiftDialog</name>
    <message>
        <source>Open shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a shift for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opening cash float (¥)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the opening float as an amount, e.g. 200.00.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OperatorsDialog</name>
    <message>
        <source>Operator administration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your code (supervisor or admin)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm identity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Initial password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Initial password again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disable / enable selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset password of selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give selected the role above</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System administrator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your code and password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed in for administration: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (locked)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (initial password)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select an operator in the table first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the initial password twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two passwords differ; nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added %1; the initial password must be changed at the first sign-in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enabled %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password of %1 reset and unlocked; it must be changed at the next sign-in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is now: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OwedCollectDialog</name>
    <message>
        <source>Collect an owed share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shares not collected at the checkout (↑/↓ to choose). Then SCAN the patient&apos;s new payment code, or type the cash received and press Enter. A supervisor authorises next.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount owed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cash received, e.g. 27.54 (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Collect in cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing is owed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That was not a payment code. Ask the patient to open the payment code (微信/支付宝/云闪付) and scan it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the cash received as an amount, e.g. 27.54 — or scan a payment code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The cash received (¥ %1) must equal the amount owed (¥ %2).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PartialRefundDialog</name>
    <message>
        <source>Partial refund (部分退费)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement %1 — %2. Original share: cash ¥ %3, personal account ¥ %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid with: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>↑/↓ choose a line, Space marks the whole line as returned, Tab → type the quantity returned; Enter confirms. A supervisor authorises next.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Return</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Item</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Price</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Returned qty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Returned qty of the current line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Returning %1 line(s), ¥ %2 of fees. The kept lines are settled again by the insurance; the difference of the patient&apos;s share goes back to the original payment methods in proportion.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark at least one line to return (Space), or type a quantity.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The quantity returned of “%1” must be more than 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The quantity returned of “%1” is more than was settled (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every line is returned: use the full reversal (Ctrl+R) instead.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PatientPanel</name>
    <message>
        <source>No patient — scan the e-voucher, read the card (F2) or enter the ID (F3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identified by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sex / age</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insured place</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Person type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Account balance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Medical insurance e-voucher</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Social-security card</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Barcode scanner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 years</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insurance SUSPENDED: the insurance cannot pay. Settle as self-pay or ask the patient to contact the insurance office.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PatientPasswordDialog</name>
    <message>
        <source>Patient password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please ask the patient to type their 6-digit insurance password on the PIN pad, then Enter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The password is 6 digits. Please type it again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PaymentPanel</name>
    <message>
        <source>Payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tendered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e-CNY</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not an amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>short by ¥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Personal account: none or empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Personal account: USED (balance ¥ %1) — F6: do not use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Personal account: not used (balance ¥ %1) — F6: use it</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PrecheckDialog</name>
    <message>
        <source>Pre-settlement warnings (事前提醒)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check these %1 warning(s) before settling; ask the patient or the doctor where needed:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter: confirmed, settle. Esc: back to the case.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm and settle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReferenceDialog</name>
    <message>
        <source>Payment reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Charge ¥ %1 on the POS terminal, then type the reference number (参考号) printed on its slip and press Enter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>¥ %1 by %2 outside the payment gateway: type the transaction number the merchant app shows and press Enter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Book the payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the whole reference number (at least 4 characters, no spaces).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ScanBoxPickerDialog</name>
    <message>
        <source>Training scan box: who shows the e-voucher / faces the camera</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SelfPayDialog</name>
    <message>
        <source>Full self-pay (转自费)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The patient pays the whole amount; nothing is sent to the insurance centre. The receipt is marked 全自费 and can be claimed at the insured place.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settle as self-pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the patient&apos;s name (for the receipt and the e-invoice).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Site settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty = system default printer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter or Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none (pause ends the scan)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Large font</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Platform URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Institution code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Institution name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Region code (admdvs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hospital level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner max gap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner suffix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scanner min length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Idle lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettlementDetailsDialog</name>
    <message>
        <source>Settlement details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Meaning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fund payments (setldetail)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fund type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettlementPanel</name>
    <message>
        <source>Settlement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Total fee</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fund pays</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Personal account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Patient pays (cash part)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not pre-settled yet (F5)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ShiftCloseDialog</name>
    <message>
        <source>Close shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift %1 — opened %2, opening float ¥ %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not sent yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>being sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>send failed, retrying</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused, needs the insurance office</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>result unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The shift cannot be closed: %1 item(s) are still open. Restore the connection and let the window send them (or run recovery). A supervisor may force the close.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Partial refunds in this shift (included above): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirm the over/short (长短款): counted twice, the difference is real</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason of the over/short, e.g. wrong change given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline: the reconciliation with the insurance centre (3201/3202) is done later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervisor: force close…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the counted amount for every payment method, e.g. 1234.50.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over/short: %1. Count again; if it is right, tick “confirm the over/short” and give the reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the reason of the over/short (it is printed on the Z report).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open items remain: only a supervisor may force the close.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not authorized: the shift stays open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A forced close needs a reason: authorize again and type the reason.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Unlock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator sign-in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The window is locked. Operator %1 enters the password to continue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the operator code and the password.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StayFormDialog</name>
    <message>
        <source>Department code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Department (ward)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Doctor code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Doctor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diagnosis code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admission time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yyyy-MM-dd HH:mm:ss (empty: now)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Admit (2401)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change (2403)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in every field (department, bed, doctor, diagnosis).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SupervisorDialog</name>
    <message>
        <source>Supervisor authorization</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Action needing authorization: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A supervisor other than the signed-in cashier enters their own code and password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervisor code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Authorize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the supervisor code and password.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SyncDialog</name>
    <message>
        <source>Synchronising with the insurance centre</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TodaySettlementsDialog</name>
    <message>
        <source>Today&apos;s settlements (今日结算)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search: name, last digits of the ID number, settlement number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settlement no.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 settlements today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>full self-pay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>settled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reversed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offline, to send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>result unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No settlement matches: change the search.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TraceDialog</name>
    <message>
        <source>Why this amount</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainingHint</name>
    <message>
        <source>, must change the password at the first sign-in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training accounts (shown in training only): %1. After the first sign-in the cashier sets a new password (at least %2 characters, not only digits, not the operator code) and uses it from then on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training: supervisor accounts %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>male</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>female</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>employee basic medical insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>civil-servant medical subsidy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>large medical expense subsidy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retired cadres&apos; medical care</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>urban and rural resident basic medical insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resident critical-illness insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>maternity insurance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>employee, in service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>civil servant, in service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>flexible employment, in service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>employee, retired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>civil servant, retired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>flexible employment, retired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retired cadre</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>newborn</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pre-school child</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pupil</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>university student</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>adult resident</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>local</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>demo zone: no filing needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>filed (long-term)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>referral filed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>emergency away from home</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not filed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Insured place and treatment place are in the same pool: local benefits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yangtze River Delta demo zone: outpatient and emergency visits are settled directly without filing, at full benefits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Long-term residence filing: settled directly at the filed benefits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Referral filing: settled directly at the referral benefits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settled at the benefits for emergency care away from home.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No cross-region filing: the insured place lowers the reimbursement or requires filing first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A (甲)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>B (乙)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C (丙)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>caps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tab.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>box</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>amp.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bottle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bag</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>item</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pc.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sheet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>patch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>visit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bed-day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dose</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stick</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
