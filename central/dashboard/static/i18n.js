// Texts of the dashboard in Simplified Chinese (the default) and English.
// A missing English text falls back to the Chinese one, and a missing key shows the key itself.
"use strict";
const TEXTS = {
  "zh-Hans": {
    "app.title": "物业服务中心", "nav.desk": "前台", "nav.board": "工单看板", "nav.visitors": "在场访客",
    "nav.registers": "登记簿", "nav.stats": "月度统计", "nav.commands": "下发指令", "nav.login": "登录",
    "nav.logout": "退出", "live.on": "实时", "live.off": "已断开", "live.connecting": "连接中",
    "site": "项目", "site.all": "全部项目", "lang": "语言", "refresh": "刷新", "loading": "加载中…",
    "error.load": "无法加载", "error.login": "请先登录", "error.forbidden": "无权查看",
    "desk.calls": "来电", "desk.none": "当前没有来电", "desk.unit_tickets": "该户近期工单",
    "desk.no_unit": "未识别住户单元", "desk.no_tickets": "该户暂无工单", "desk.transcript": "留言转写",
    "desk.waiting_transcript": "等待转写…", "desk.transcript_failed": "转写失败",
    "call.ringing": "振铃中", "call.answered": "已接听", "call.ended": "已结束", "call.missed": "未接",
    "call.private": "号码隐藏", "call.unavailable": "号码不可用", "call.unknown": "未知号码",
    "call.blocked": "已拦截", "call.ring": "第 {n} 声", "call.by.agent": "自动应答", "call.by.staff": "人工接听",
    "call.message": "有留言", "call.started": "来电时间",
    "wo.make": "生成工单", "wo.title": "生成维修工单", "wo.kind": "类别", "wo.unit": "单元",
    "wo.phone": "联系电话", "wo.content": "内容", "wo.appointment": "预约时间", "wo.printer": "打印机",
    "wo.submit": "生成并打印", "wo.cancel": "取消", "wo.done": "工单已生成：{id}", "wo.failed": "生成失败：{why}",
    "wo.print_sent": "打印指令：{state}",
    "kind.repair": "报修", "kind.complaint": "投诉", "kind.help_request": "求助", "kind.inquiry": "咨询",
    "kind.paid_service": "有偿服务", "kind.mail": "邮件", "kind.visit": "来访", "kind.other": "其他",
    "board.title": "工单看板", "board.none": "没有进行中的工单", "board.id": "编号", "board.kind": "类别",
    "board.unit": "单元", "board.state": "状态", "board.owner": "首问负责人", "board.due": "到期",
    "board.summary": "内容", "board.overdue": "已超时 {t}", "board.in": "剩余 {t}", "board.paused": "已暂停",
    "visitors.title": "在场访客（疏散点名）", "visitors.count": "在场 {n} 人", "visitors.none": "当前无在场访客",
    "visitors.name": "访客", "visitors.host": "拜访单元", "visitors.phone": "电话", "visitors.since": "进入时间",
    "visitors.post": "登记点", "visitors.purpose": "事由", "visitors.print": "打印点名表",
    "registers.title": "登记簿", "registers.calls": "来电登记", "registers.visits": "来访登记",
    "registers.mail": "邮件登记", "registers.night": "夜班登记", "registers.from": "从", "registers.to": "至",
    "registers.export_csv": "导出 CSV", "registers.export_xlsx": "导出 Excel", "registers.none": "没有记录",
    "stats.title": "月度统计", "stats.month": "月份", "stats.timeliness": "及时率", "stats.first_fix": "一次修复率",
    "stats.satisfaction": "满意率", "stats.complaints": "投诉", "stats.class": "{n} 类", "stats.tickets": "工单数",
    "stats.by_kind": "按类别", "stats.target": "目标 {n}", "stats.none": "本月暂无数据",
    "commands.title": "下发指令", "commands.type": "类型", "commands.device": "设备", "commands.state": "状态",
    "commands.created": "创建", "commands.acked": "确认", "commands.attempts": "发送次数", "commands.none": "没有指令",
    "state.pending": "待送达", "state.delivered": "已送达", "state.rejected": "被拒绝",
    "login.title": "员工登录", "login.user": "用户名", "login.password": "密码", "login.submit": "登录",
    "login.failed": "用户名或密码错误", "login.ok": "已登录",
    "st.received": "已受理", "st.work_order_issued": "已派工", "st.claimed": "已签收", "st.on_site": "已到场",
    "st.done": "已完成", "st.confirmed": "住户已确认", "st.callback": "已回访", "st.closed": "已关闭",
    "st.classified": "已定性", "st.handling": "处理中", "st.resolved": "已解决", "st.answered": "已答复",
    "st.quoted": "已报价", "st.scheduled": "已预约", "st.notified": "已通知", "st.collected": "已领取",
    "st.returned": "已退回",
    "outcome.message": "已留言", "outcome.no_message": "未留言", "outcome.answered_by_staff": "人工接听",
    "outcome.missed": "未接", "outcome.blocked": "已拦截",
    "time.min": "{n} 分", "time.h": "{n} 小时", "time.d": "{n} 天", "time.s": "{n} 秒",
  },
  "en": {
    "app.title": "Service centre", "nav.desk": "Desk", "nav.board": "Tickets", "nav.visitors": "On site",
    "nav.registers": "Registers", "nav.stats": "Statistics", "nav.commands": "Commands", "nav.login": "Log in",
    "nav.logout": "Log out", "live.on": "Live", "live.off": "Disconnected", "live.connecting": "Connecting",
    "site": "Site", "site.all": "All sites", "lang": "Language", "refresh": "Refresh", "loading": "Loading…",
    "error.load": "Could not load", "error.login": "Please log in", "error.forbidden": "Not allowed",
    "desk.calls": "Calls", "desk.none": "No call right now", "desk.unit_tickets": "Recent tickets of this unit",
    "desk.no_unit": "Unit not recognised", "desk.no_tickets": "No tickets for this unit",
    "desk.transcript": "Message transcript", "desk.waiting_transcript": "Waiting for the transcript…",
    "desk.transcript_failed": "No transcript",
    "call.ringing": "Ringing", "call.answered": "Answered", "call.ended": "Ended", "call.missed": "Missed",
    "call.private": "Number withheld", "call.unavailable": "Number unavailable", "call.unknown": "Unknown number",
    "call.blocked": "Blocked", "call.ring": "ring {n}", "call.by.agent": "auto-answered", "call.by.staff": "answered by staff",
    "call.message": "message left", "call.started": "Call time",
    "wo.make": "Make work order", "wo.title": "New repair work order", "wo.kind": "Kind", "wo.unit": "Unit",
    "wo.phone": "Contact phone", "wo.content": "Content", "wo.appointment": "Appointment", "wo.printer": "Printer",
    "wo.submit": "Create and print", "wo.cancel": "Cancel", "wo.done": "Work order created: {id}",
    "wo.failed": "Could not create: {why}", "wo.print_sent": "Print command: {state}",
    "kind.repair": "Repair", "kind.complaint": "Complaint", "kind.help_request": "Help request",
    "kind.inquiry": "Inquiry", "kind.paid_service": "Paid service", "kind.mail": "Mail item",
    "kind.visit": "Visit", "kind.other": "Other",
    "board.title": "Ticket board", "board.none": "No open tickets", "board.id": "No.", "board.kind": "Kind",
    "board.unit": "Unit", "board.state": "State", "board.owner": "Owner", "board.due": "Due",
    "board.summary": "Content", "board.overdue": "overdue {t}", "board.in": "in {t}", "board.paused": "paused",
    "visitors.title": "Visitors on site (roll call)", "visitors.count": "{n} on site", "visitors.none": "Nobody on site",
    "visitors.name": "Visitor", "visitors.host": "Visiting unit", "visitors.phone": "Phone", "visitors.since": "Since",
    "visitors.post": "Post", "visitors.purpose": "Purpose", "visitors.print": "Print roll call",
    "registers.title": "Registers", "registers.calls": "Call register", "registers.visits": "Visit register",
    "registers.mail": "Mail register", "registers.night": "Night register", "registers.from": "From",
    "registers.to": "To", "registers.export_csv": "Export CSV", "registers.export_xlsx": "Export Excel",
    "registers.none": "No entries",
    "stats.title": "Monthly statistics", "stats.month": "Month", "stats.timeliness": "Timeliness",
    "stats.first_fix": "First-time fix", "stats.satisfaction": "Satisfaction", "stats.complaints": "Complaints",
    "stats.class": "class {n}", "stats.tickets": "Tickets", "stats.by_kind": "By kind", "stats.target": "target {n}",
    "stats.none": "No figures for this month yet",
    "commands.title": "Commands to edges", "commands.type": "Type", "commands.device": "Device",
    "commands.state": "State", "commands.created": "Created", "commands.acked": "Acknowledged",
    "commands.attempts": "Sent", "commands.none": "No commands",
    "state.pending": "pending", "state.delivered": "delivered", "state.rejected": "rejected",
    "login.title": "Staff login", "login.user": "User name", "login.password": "Password", "login.submit": "Log in",
    "login.failed": "Wrong user name or password", "login.ok": "Logged in",
    "st.received": "received", "st.work_order_issued": "work order issued", "st.claimed": "claimed",
    "st.on_site": "on site", "st.done": "done", "st.confirmed": "confirmed", "st.callback": "called back",
    "st.closed": "closed", "st.classified": "classified", "st.handling": "handling", "st.resolved": "resolved",
    "st.answered": "answered", "st.quoted": "quoted", "st.scheduled": "scheduled", "st.notified": "notified",
    "st.collected": "collected", "st.returned": "returned",
    "outcome.message": "message left", "outcome.no_message": "no message",
    "outcome.answered_by_staff": "answered by staff", "outcome.missed": "missed", "outcome.blocked": "blocked",
    "time.min": "{n} min", "time.h": "{n} h", "time.d": "{n} d", "time.s": "{n} s",
  },
};

const LANGS = {"zh-Hans": "中文", "en": "English"};

function currentLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked && TEXTS[asked]) { localStorage.setItem("frontdesk.lang", asked); return asked; }
  const kept = localStorage.getItem("frontdesk.lang");
  return kept && TEXTS[kept] ? kept : "zh-Hans";
}

const LANG = currentLang();

function t(key, vars) {
  let text = (TEXTS[LANG] && TEXTS[LANG][key]) || TEXTS["zh-Hans"][key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split("{" + k + "}").join(String(v));
  return text;
}
