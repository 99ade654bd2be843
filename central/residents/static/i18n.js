// Texts of the resident and visitor pages in Simplified Chinese (the default) and English, and
// the page's language: ?lang= wins and is remembered, else the last choice, else Chinese. A
// missing English text falls back to the Chinese one (the toolkit's Translations).
"use strict";
const TEXTS = {
  "zh-Hans": {
    "app.title": "住户访客邀请", "lang.switch": "English", "lang.name": "语言",
    "loading": "加载中…", "error.network": "网络连接失败，请稍后再试",
    "signin.title": "住户登录", "signin.lead": "请输入在物业服务中心登记的手机号码。",
    "signin.phone": "手机号码", "signin.code": "验证码（6 位数字）", "signin.get_code": "获取验证码",
    "signin.submit": "登录", "signin.sent": "若该号码已登记，请致电或到物业服务中心前台领取验证码，10 分钟内有效。",
    "signin.wrong": "验证码错误或已过期", "signin.locked": "错误次数过多，该号码暂时无法登录，请于 {time} 后再试",
    "signin.too_many": "请求过于频繁，请 {n} 分钟后再试", "signin.bad_phone": "请输入有效的手机号码",
    "signin.need_code": "请输入 6 位数字验证码",
    "list.title": "我的访客邀请", "list.units": "我的单元：{units}", "list.new": "邀请访客", "list.signout": "退出登录",
    "list.none": "还没有邀请", "list.visitor": "访客", "list.unit": "单元", "list.window": "有效时间",
    "list.by_desk": "由服务中心代办", "list.cancel": "取消邀请", "list.confirm": "确认取消",
    "list.keep": "不取消", "list.cancelled_ok": "邀请已取消，各岗亭将拒绝此通行证",
    "state.upcoming": "待使用", "state.used": "已使用", "state.cancelled": "已取消", "state.expired": "已过期",
    "invite.title": "邀请访客", "invite.unit": "拜访单元", "invite.name": "访客姓名", "invite.phone": "访客电话（选填）",
    "invite.from": "开始时间", "invite.until": "结束时间", "invite.submit": "生成通行证",
    "invite.done": "通行证已生成，请把下面的链接发给访客：", "invite.copy": "复制链接", "invite.copied": "已复制",
    "invite.share": "分享", "invite.back": "返回我的邀请", "invite.hint": "通行证只能使用一次，最长 7 天。",
    "invite.failed": "无法生成：{why}",
    "visitor.title": "访客通行证", "visitor.lead": "请在门岗或大堂自助机出示此二维码。",
    "visitor.qr": "访客通行二维码", "visitor.for": "访客", "visitor.unit": "拜访单元", "visitor.window": "有效时间",
    "visitor.cancelled": "此邀请已被住户取消，通行证不再有效。", "visitor.expired": "此通行证已过期。",
    "visitor.invalid": "链接无效，请向邀请您的住户确认。", "visitor.used": "此通行证已使用过。",
    "window": "{from} 至 {until}",
  },
  "en": {
    "app.title": "Resident visitor invitations", "lang.switch": "中文", "lang.name": "Language",
    "loading": "Loading…", "error.network": "No connection; please try again",
    "signin.title": "Resident sign-in", "signin.lead": "Enter the mobile number registered with the service centre.",
    "signin.phone": "Mobile number", "signin.code": "Code (6 digits)", "signin.get_code": "Get a code",
    "signin.submit": "Sign in",
    "signin.sent": "If this number is registered, call the service centre or ask at the front desk for your code. It is valid for 10 minutes.",
    "signin.wrong": "The code is wrong or has expired",
    "signin.locked": "Too many wrong codes: sign-in for this number is locked. Try again after {time}",
    "signin.too_many": "Too many requests; try again in {n} min", "signin.bad_phone": "Enter a valid phone number",
    "signin.need_code": "Enter the 6-digit code",
    "list.title": "My visitor invitations", "list.units": "My units: {units}", "list.new": "Invite a visitor",
    "list.signout": "Sign out", "list.none": "No invitations yet", "list.visitor": "Visitor", "list.unit": "Unit",
    "list.window": "Valid", "list.by_desk": "made by the service centre", "list.cancel": "Cancel invitation",
    "list.confirm": "Yes, cancel", "list.keep": "Keep it",
    "list.cancelled_ok": "Invitation cancelled: the posts will refuse this pass",
    "state.upcoming": "Upcoming", "state.used": "Used", "state.cancelled": "Cancelled", "state.expired": "Expired",
    "invite.title": "Invite a visitor", "invite.unit": "Unit visited", "invite.name": "Visitor's name",
    "invite.phone": "Visitor's phone (optional)", "invite.from": "From", "invite.until": "Until",
    "invite.submit": "Make the pass", "invite.done": "The pass is ready. Send this link to your visitor:",
    "invite.copy": "Copy link", "invite.copied": "Copied", "invite.share": "Share",
    "invite.back": "Back to my invitations", "invite.hint": "A pass can be used once, for up to 7 days.",
    "invite.failed": "Could not make the pass: {why}",
    "visitor.title": "Visitor pass", "visitor.lead": "Show this QR code at the gate or the lobby kiosk.",
    "visitor.qr": "Visitor pass QR code", "visitor.for": "Visitor", "visitor.unit": "Visiting unit",
    "visitor.window": "Valid", "visitor.cancelled": "The resident cancelled this invitation: the pass is no longer valid.",
    "visitor.expired": "This pass has expired.", "visitor.invalid": "This link is not valid; please check with your host.",
    "visitor.used": "This pass has been used.",
    "window": "{from} to {until}",
  },
};

function currentLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked && TEXTS[asked]) { localStorage.setItem("frontdesk.lang", asked); return asked; }
  const kept = localStorage.getItem("frontdesk.lang");
  return kept && TEXTS[kept] ? kept : "zh-Hans";
}

const I18N = new Toolkit.Translations(TEXTS, currentLang(), "zh-Hans");
const LANG = I18N.lang;
const t = I18N.t;
