"""The Chinese wording of the model's prose, for ``--lang zh``.

Data only: :mod:`tcpcheck.diagrams.i18n` reads it.  The English in the model
is the one source of what each text means; here each one is said again in
Simplified Chinese, keyed as the model keys it:

* :data:`QUESTIONS`: each experiment's question, by experiment name
  (``tcpcheck.model.experiments.EXPERIMENTS``);
* :data:`TEXTS`: the templates of findings (``FINDINGS`` of
  ``tcpcheck.model.experiments``) and of the reasons a property fails
  (``REASONS`` of ``tcpcheck.model.properties``), by template name, with the
  same ``{placeholders}`` as the English;
* :data:`PROPERTY_NAMES` and :data:`MUTANT_DESCRIPTIONS`: by property and by
  mutant name;
* :data:`REPORT`: the fixed words of the experiments report.

State names (TIME_WAIT ...), segment notation (``<SEQ=100><CTL=SYN>``),
flags, TCB fields and RFC section numbers stay as the RFC writes them.  The
tests fail when a key of the model has no entry here, or an entry's
placeholders differ from the English template's.
"""

from __future__ import annotations

QUESTIONS: dict[str, str] = {
    "handshake": "建立连接是否依次为 SYN；SYN+ACK（确认号为 SYN 的序列号加一）；ACK，并使双方都进入 ESTABLISHED？",
    "half-close": "收到 FIN 之后，一端是否仍能发送数据，且这些数据能被交付？",
    "active-passive": "先关闭的一方是否经过 FIN_WAIT 和 TIME_WAIT，另一方是否经过 CLOSE_WAIT 和 LAST_ACK？",
    "fin-sequence": "每个 FIN 是否都以它的序列号加一来确认？",
    "closed-listen": "两端是否都从 CLOSED 开始，被动打开是否进入 LISTEN？",
    "syn-rcvd-held": "如果三次握手的最后一个 ACK 丢失，服务器是否停留在 SYN_RCVD？又是什么让它离开这一状态？",
    "syn-sent": "SYN_SENT 是否在主动打开时进入，并在收到服务器的 SYN,ACK 时离开？",
    "fin-wait": "FIN_WAIT_1 是否在收到对 FIN 的 ACK 时离开？FIN_WAIT_2 是否是半关闭的连接？",
    "time-wait-shortcut": "一个同时携带 FIN 和对我方 FIN 的 ACK 的报文段，是否会让 FIN_WAIT_1 直接进入 TIME_WAIT？",
    "closing": "是否只有在双方几乎同时关闭时才会进入 CLOSING？",
    "last-ack": "收到对自己 FIN 的 ACK，是否会让 LAST_ACK 进入 CLOSED？",
    "three-vs-four": "为什么建立连接是三次握手，关闭连接却要四次挥手？ACK 和 FIN 能否合并？",
    "time-wait-reason": "最后的 ACK 丢失后，TIME_WAIT 是否让主动关闭方能够确认对端重传的 FIN？",
}

TEXTS: dict[str, str] = {
    # --- findings of the experiments (tcpcheck.model.experiments.FINDINGS) ---
    "handshake":
        "客户端发送 {syn}；服务器用一个同时携带 SYN 和 ACK 的报文段 {syn_ack} 作答，其确认号是客户端的"
        " ISS+1；客户端的 {ack} 确认了服务器的 SYN。客户端在收到 SYN,ACK 时进入 ESTABLISHED，服务器在"
        "收到这个 ACK 时进入 ESTABLISHED。",
    "active-passive":
        "先关闭的一方（客户端）经历 FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT：这是主动关闭。另一方经历"
        " CLOSE_WAIT -> LAST_ACK：这是被动关闭。只有主动关闭方会在 TIME_WAIT 中等待。",
    "fin-sequence":
        "每个 FIN 都以它的序列号加一来确认：客户端的 FIN 序列号为 SEQ={client_fin}，确认它的确认号为"
        " ACK={client_ack}{wrap}；服务器的 FIN 序列号为 SEQ={server_fin}，确认号为 ACK={server_ack}。"
        "FIN 和 SYN 一样占用一个序列号。",
    "fin-sequence/wrap": "（{seq} + 1 回绕为 0：序列号运算以 2^32 为模）",
    "closed-listen":
        "两端都从 CLOSED（没有 TCB）开始。被动打开创建一个处于 LISTEN 的 TCB：服务器等待 SYN 到来。",
    "syn-rcvd-held":
        "三次握手的最后一个 ACK 丢失时，服务器停留在 SYN_RCVD，而客户端已经处于 ESTABLISHED。模型展示了"
        "服务器如何离开这一状态：它的重传定时器重发 SYN,ACK；处于 ESTABLISHED 的客户端用一个 ACK 回应"
        "这个旧报文段（不可接受的报文段会得到一个 ACK，见 RFC 9293 3.10.7.4）；这个 ACK 使服务器进入"
        " ESTABLISHED。客户端发来的数据同样携带 ACK，也能起到同样的作用，而且更早。",
    "syn-sent":
        "客户端在发送 SYN（主动打开）时进入 SYN_SENT，等待服务器的 SYN,ACK，收到后进入 ESTABLISHED。"
        "笔记遗漏了另一条出路：在同时打开时，一个不带 ACK 的 SYN 在 SYN_SENT 状态下到达，该端进入"
        " SYN_RCVD（即这里展示的场景 'simultaneous-open'）。",
    "fin-wait":
        "收到对 FIN 的 ACK 后，FIN_WAIT_1 进入 FIN_WAIT_2，此时连接处于半关闭状态：这里处于 FIN_WAIT_2"
        " 的客户端仍在接收并确认服务器发来的数据。模型还展示了笔记没有提到的一点：RFC 9293 没有给"
        " FIN_WAIT_2 设置超时，因此在会丢失报文段的网络上，如果对端放弃了连接，处于 FIN_WAIT_2 的一端"
        "将永远等待下去（见 'tcpcheck check' 中性质“无死锁”的反例）。",
    "time-wait-shortcut":
        "TIME_WAIT 在收到并确认对端的 FIN 之后进入。一个同时携带对端 FIN 和对我方 FIN 的 ACK 的报文段，"
        "会让 FIN_WAIT_1 直接进入 TIME_WAIT（图 5，注 2）：先处理 ACK，再处理 FIN。",
    "closing":
        "只有当一个已发送 FIN 的端点在收到对自己 FIN 的 ACK 之前先收到对端的 FIN 时，才会进入 CLOSING："
        "在 default 模型中，凡是客户端处于 CLOSING 的可达状态，服务器也都已发送了自己的 FIN。双方几乎同时"
        "关闭。这种情况在单次运行中少见，在状态空间中却不少见：default 模型的 {states:,} 个状态中，有"
        " {share:,} 个状态有一端处于 CLOSING。",
    "half-close":
        "FIN 只关闭一个方向。收到客户端的 FIN 后，服务器处于 CLOSE_WAIT，仍然发送数据，而客户端"
        "（FIN_WAIT_2）接收并确认这些数据；服务器自己的 CLOSE 调用在之后才发生。",
    "last-ack":
        "被动关闭方发送自己的 FIN 并在 LAST_ACK 中等待；对这个 FIN 的 ACK 到达后，它删除 TCB、进入"
        " CLOSED，自己不经过 TIME_WAIT。",
    "three-vs-four":
        "建立连接只需三个报文段（三次握手），因为监听方把它的 ACK 和 SYN 放在同一个报文段中。这里关闭"
        "连接需要四个报文段（四次挥手）：RFC 9293 收到 FIN 后立即确认（“收到 FIN / 发送 ACK”），而服务器的 FIN 要等到"
        "它的应用程序关闭时才发出。笔记说 ACK 和 FIN “在没有数据要发送时可以合并”；RFC 的处理过程从不"
        "合并它们（每个 FIN 报文段都带有 ACK 字段，但 FIN 总是先被单独确认）。延迟发送 ACK 的协议栈"
        "（RFC 1122）可以合并它们；本模型不延迟 ACK。{combined}",
    "three-vs-four/combined": "（观察到了合并发送的 FIN+ACK。）",
    "time-wait-reason":
        "最后的 ACK 丢失；处于 LAST_ACK 的服务器超时后重传它的 FIN；仍处于 TIME_WAIT 的客户端再次确认，"
        "服务器正常关闭。模型也展示了这一解释的局限：模型不对时间建模，因此也存在这样的运行：TIME_WAIT"
        " 在重传的 FIN 到达之前就已到期，于是由 CLOSED 以复位（RST）回应这个 FIN。TIME_WAIT 之所以有效，"
        "只是因为 2MSL 比对端的重传超时更长。RFC 9293 还给出了笔记没有提到的第二个理由：本连接的旧报文段"
        "必须先从网络中消失，同一连接才能再次打开。",
    "no-run": "该论断不成立：模型（{config}）中没有{what}。",
    "no-run/shows-it": "能说明它的运行",
    "no-run/scenario": "场景 '{name}' 的运行",
    "other-verdict":
        "这与参考模型展示的不同，因此针对参考模型的说明在这里不适用。在下面的运行中，A 经历 {a}，B 经历 {b}。",
    "on-mutant": "{config}，变体 {mutant}",
    "on-table": "{config}，规则表 {table}",
    # --- why a property fails (tcpcheck.model.properties.REASONS) ---
    "acks-beyond-sent": "{x}.RCV.NXT={rcv_nxt} 确认了超出 {y}.SND.NXT={snd_nxt} 的序列号",
    "ack-in-flight-beyond-sent": "{x}->{y} 方向传输中的报文段的 ACK={ack}，超出了 {y}.SND.NXT={snd_nxt}",
    "irs-is-not-peer-iss": "{x}.IRS={irs}，但 {y}.ISS={iss}",
    "rcv-nxt-outside": "{x}.RCV.NXT={rcv_nxt} 不在 [{y}.ISS+1, {y}.SND.NXT] = [{lo}, {hi}] 之内",
    "snd-una-outside": "{x}.SND.UNA={snd_una} 不在 [{x}.ISS, {x}.SND.NXT] = [{iss}, {snd_nxt}] 之内",
    "established-on-old-syn": "{x} 以 IRS={irs} 进入了 ESTABLISHED，但 {y} 当前连接的 ISS={iss}",
    "reset-in-last-ack": "处于 LAST_ACK 的 {actor} 被 {segment} 复位",
    "unreached": "没有任何已探索的状态满足它",
    "stuck": "在 A 处于 {a}、B 处于 {b} 时卡住，{n} 个报文段在传输中",
    "never-gets-there": "公平的运行永远到达不了目标状态：{how}，此时 A 处于 {a}，B 处于 {b}",
    "goes-round": "它在一个 {n} 步的环中永远循环",
    "stops": "它停了下来",
}

PROPERTY_NAMES: dict[str, str] = {
    "no acknowledgment of unsent data": "不确认未发送的数据",
    "RCV.NXT within the peer's sent range": "RCV.NXT 在对端已发送的范围内",
    "SND.UNA within [ISS, SND.NXT]": "SND.UNA 在 [ISS, SND.NXT] 之内",
    "ESTABLISHED only on the peer's current SYN": "只凭对端当前连接的 SYN 进入 ESTABLISHED",
    "the passive closer is never reset": "被动关闭方从不被复位",
    "deadlock freedom": "无死锁",
    "every close completes": "每次关闭都会完成",
    "SYN_SENT leads to ESTABLISHED or CLOSED": "SYN_SENT 终将到达 ESTABLISHED 或 CLOSED",
    # "S is reachable", one for each state S
    "{state} is reachable": "{state} 可达",
}

MUTANT_DESCRIPTIONS: dict[str, str] = {
    "no-time-wait": "主动关闭方收到对端的 FIN 后进入 CLOSED，而不是 TIME_WAIT",
    "two-way-handshake": "监听方仅凭 SYN 就进入 ESTABLISHED，不等待对其 SYN,ACK 的 ACK",
    "fin-no-seq": "FIN 不占用序列号：SND.NXT 不因它而前移",
    "no-closing": "FIN_WAIT_1 确认一个没有确认自己 FIN 的 FIN，却随后忽略它：它停留在 FIN_WAIT_1，不存在 CLOSING",
    "no-fin-retransmit": "FIN 从不重传：当未被确认的只剩 FIN 时，重传超时什么也不发送",
    "short-time-wait": "TIME_WAIT 的 2MSL 可能在该连接的报文段仍在传输中时就到期",
    "time-wait-forever": "TIME_WAIT 永不到期：2MSL 超时后端点仍停留在原状态",
    "last-ack-silent": "LAST_ACK 从不重传它的 FIN：它没有处理重传超时的规则",
    "syn-counted-twice":
        "收到 SYN 时，RCV.NXT 被设为 SEG.SEQ+SEG.LEN+1：SYN 的序列号被算了两次，因此对 SYN 的"
        " ACK 确认的比实际发送的多一个",
    "syn-not-counted":
        "收到 SYN 时，RCV.NXT 被设为 SEG.SEQ 而不是 SEG.SEQ+SEG.LEN：对 SYN 的 ACK 什么也没有确认，"
        "仿佛 SYN 不占用序列号",
    "ack-check-forgets-snd-nxt":
        "ACK 检查漏掉了 SEG.ACK =< SND.NXT：在 ESTABLISHED、FIN_WAIT_2、CLOSE_WAIT 和 TIME_WAIT 中，任何超前于"
        " SND.UNA 的 ACK 都被接受，即使它确认的是从未发送过的数据",
    "fin-resent-as-new":
        "重传超时时，FIN_WAIT_1 发送一个新的 FIN，而不是重传原来的 FIN，因此每次超时都会多占用一个序列号",
    "syn-rcvd-waits-forever":
        "SYN_RCVD 没有定时器：它既不重传 SYN,ACK 也不放弃，因此 SYN,ACK 丢失后，服务器永远等待客户端的 ACK（报文段 3）",
}

#: The experiments report's own words, by their English wording.
REPORT: dict[str, str] = {
    "title": "tcpcheck：笔记中的论断与模型的检验",
    "intro":
        "由 `tcpcheck experiments` 生成。每个实验就学习笔记中的论断（C1-C17，见 shared/seed/CLAIMS.md）"
        "向 RFC 9293 模型提出一个问题，并给出回答这个问题的最短运行。*证实*：模型的行为与笔记所说一致；"
        "*有补充*：一致，但模型还展示了笔记没有提到的更多内容或局限；*被否定*：模型的行为与笔记所说不同。",
    "tally": "{n} 个实验中有 {good} 个符合预期。",
    # (Markdown: no punctuation just inside a closing **, or it does not close)
    "question": "**问题**：{question}",
    "verdict": "**结论：{verdict}**（预期：{expected}；{as_expected}）。{finding}",
    "mutant title": "（变体 {name}：{description}）",
    # on another rule table (--rules)
    "table title": "（规则表 {table}）",
    "table intro":
        "这里的实验在规则表 `{table}` 上运行，而不是在参考规则表（{reference}）上，每个结论都与参考规则表"
        "给出的结论并列。两者不同时，说明部分会讲这个规则表的运行做了什么。",
    "tally vs reference": "{n} 个实验中有 {good} 个的结论与参考规则表上的相同。",
    "verdict vs reference": "**结论：{verdict}**（参考规则表上：{expected}；{as_expected}）。{finding}",
    "table line": "规则表：{table}",
    # what the command prints
    "summary": "{n} 个实验中有 {good} 个符合预期；报告：{report}",
    "summary vs reference": "{n} 个实验中有 {good} 个的结论与参考规则表上的相同；报告：{report}",
    "differs": "{name}（{claims}）：结论为“{verdict}”，预期为“{expected}”",
    "differs from reference": "{name}（{claims}）：在 {table} 上的结论为“{verdict}”，在参考规则表上为“{expected}”",
    "run": "{what}：配置 {config}，共 {n} 步。",
    "broken variants": "错误变体",
    "broken variants intro":
        "下面每个变体都是对规则表或配置的一处修改。所列的性质在变体自己的配置下对参考模型成立，而在变体上"
        "失败：出了什么问题，正说明了 TCP 为什么要这样设计。",
    "mutant":
        "{description}。在它的配置下，性质“{property}”在参考模型上{reference}，在这个变体上"
        "**{verdict}**：{detail}（共 {n} 步）。",
    "mutant without run":
        "{description}。在它的配置下，性质“{property}”在参考模型上{reference}，在这个变体上"
        "**{verdict}**：{detail}。",
    "mutant not caught":
        "{description}。在它的配置下，性质“{property}”在参考模型上{reference}，在这个变体上"
        "**{verdict}**：它发现不了这个变体。",
    "mutant beyond bounds":
        "{description}。在模型的边界之内没有任何运行能触及这个错误，因此 `tcpcheck check` 的性质都不会"
        "因它而失败；`tcpcheck prove --mutant {name}` 能发现它。",
    # words
    "confirmed": "证实", "qualified": "有补充", "refuted": "被否定",
    "holds": "成立", "violated": "被违反", "unknown": "未知",
    "Verdict": "结论", "as expected": "符合预期",
    "NOT as expected": "不符合预期", "witness": "示例运行", "counterexample": "反例",
    "Claims": "论断", "Experiment": "实验", "yes": "是", "no": "否",
    "the same": "相同", "DIFFERENT": "不同", "as on the reference table": "与参考规则表相同",
}

#: What a numbered step of a trace says (``tcpcheck.model.report.trace_lines``).
TRACE: dict[str, str] = {
    "initial state": "初始状态",
    "call": "{actor}：{event}",
    "rcv": "{actor} 接收 {segment}：{events}",
    "lose": "网络丢失 {segment}（{direction}）",
    "duplicate": "网络复制 {segment}（{direction}）",
    "dropped": "（丢弃：信道已满）",
    "events": "；",  # between the events of one arrival
}
