"""Simplified Chinese conversation turns per case kind; same keys and placeholders as texts_ru."""

from __future__ import annotations

SIGNATURE = "\n\n——{agent}，「{shop}」客服"
PHONE = "买家来电记录："
FORWARDED = "买家在平台聊天中的留言（通过API同步）："

COMMON: dict[str, str] = {
    "reopen": "不好意思，问题还是没有解决，能再帮我看一下吗？",
    "recheck": "{name}您好，我们和同事再次核实了订单{posting}，处理结果不变，详情见上文。如有问题请直接回复本消息。",
}

TEXTS: dict[str, dict[str, str | list[str]]] = {
    "lost_parcel": {
        "subject": ["包裹{tracking}好像丢了", "订单{posting}一直没有收到"],
        "opener": "你好！订单{posting}预计{promised}前送达，但物流单号{tracking}已经一个多星期没有更新了，"
                  "最后状态是「{last_status}」（{last_location}）。请帮我查一下包裹在哪里。",
        "system": "{name}您好！您的包裹{tracking}（{carrier}）自{last_date}起没有任何物流更新。我们已向承运商发起查件，"
                  "有结果会第一时间通知您，您无需进行任何操作。",
        "ack": "{name}您好，感谢您的反馈。我们查询了单号{tracking}：最后一条记录是「{last_status}」，地点：{last_location}。"
               "我们已向{carrier}提交查件申请，通常5个工作日内答复。",
        "question": "请问您是否收到过取件通知，或快递员是否留过字条？另外请确认收货地址：{address}。",
        "answer": "没有收到任何通知。地址是对的，我每天都在家。",
        "carrier": "我们已向{carrier}提交调查申请（编号{claim_ref}），承运商一回复我们就会通知您。",
        "resolution": "{name}您好，承运商已确认包裹{tracking}丢失。我们已为您申请赔偿{amount} {currency}，"
                      "款项将在3–5个工作日内退回原支付方式。给您带来不便，深表歉意。",
        "thanks": "已经收到退款了，谢谢！",
        "followup": "请问我的包裹有消息了吗？",
        "system_ack": "{name}您好，我们正在继续查找包裹{tracking}：最后一条记录是「{last_status}」，地点：{last_location}。"
                      "已向{carrier}发出查询，通常5个工作日内答复。",
    },
    "delivery_delay": {
        "subject": ["订单{posting}配送延误", "订单{posting}什么时候能到？"],
        "opener": "你好，承诺送达日期{promised}已经过了，订单{posting}还在运输中，状态是「{last_status}」。请问大概什么时候能到？",
        "system": "{name}您好！您的订单{posting}配送出现延误，原预计送达日期为{promised}。包裹目前状态："
                  "「{last_status}」（{last_location}）。我们正在跟进，一有进展会立即通知您。",
        "ack": "{name}您好，您的包裹{tracking}目前停留在「{last_status}」环节，分拣中心繁忙时会出现这种情况。"
               "我们已联系{carrier}，会持续跟进。",
        "question": "如果您方便到自提点取件，请告诉我们，我们可以尝试把包裹改送到离您最近的自提点。",
        "answer": "送货上门就可以，希望周末前能到。",
        "carrier": "{carrier}已确认延误，承诺在2–3天内安排派送。承运商工单号：{claim_ref}。",
        "resolution": "{name}您好，包裹已经送达。为表歉意，我们向您的账户发放了一张300卢布的优惠券，可用于下次购物。感谢您的耐心！",
        "thanks": "收到了，一切正常，谢谢帮忙！",
        "followup": "又过了两天，包裹还是没动，请问是怎么回事？",
        "system_ack": "{name}您好，包裹{tracking}目前停留在「{last_status}」环节。我们已联系{carrier}并持续跟进，"
                      "有新消息会在这里通知您，您无需另行联系我们。",
    },
    "damaged": {
        "subject": ["收到的商品有损坏", "订单{posting}里的商品摔坏了"],
        "opener": "你好！我收到了订单{posting}，外箱被压扁了，里面的商品「{product}」也损坏了。我会上传包装和商品的照片。",
        "ack": "{name}您好，非常抱歉发生这样的情况。为了向承运商索赔，我们需要外包装各个角度的照片以及商品损坏处的照片。",
        "question": "请上传外包装各个面的照片和商品损坏处的照片，没有照片承运商不会受理索赔。",
        "answer": "照片已上传：外箱、带单号的面单和商品损坏处。",
        "carrier": "照片已收到，谢谢。我们已把破损证明提交给{carrier}，正在等待处理结果。",
        "resolution": "{name}您好，我们已免费为您补发一件新的商品（{product}），新的物流单号会另行发送。损坏的商品无需退回。",
        "thanks": "新的商品完好无损地收到了，谢谢！",
        "followup": "照片已经发了，请问什么时候有处理结果？",
    },
    "return_exchange": {
        "subject": ["退货：商品不合适", "想换货（订单{posting}）"],
        "opener": "你好！订单{posting}里的{product}不合适，我想申请退货。商品没有使用过，包装完好。",
        "ack": "{name}您好，收货后14天内可以退货。我们已为您生成退货运单，请把包裹交到{return_carrier}网点，"
               "退货单号：{return_tracking}。",
        "question": "请提供商品和原包装的照片，仓库验收退货时需要。",
        "answer": "照片已经发了，明天去寄。",
        "carrier": "退货包裹{return_tracking}正在寄往我们的仓库，我们会持续跟踪。",
        "resolution": "{name}您好，仓库已收到并检查了退货，{amount} {currency}将在5个工作日内退回您的银行卡。",
        "thanks": "退款收到了，谢谢！",
        "followup": "请问你们收到我的退货了吗？",
    },
    "address_change": {
        "subject": ["修改订单{posting}的收货地址", "收货地址填错了"],
        "opener": "你好！订单{posting}的地址我填错了：现在是「{address}」，正确的应该是{new_flat}号公寓。包裹还在路上，可以改吗？",
        "ack": "{name}您好，包裹还在运输中，我们会尝试通过{carrier}修改地址。请注意：改址可能需要1–2天，并可能产生150卢布的费用。",
        "question": "请确认您同意支付150卢布改址费，并接受可能延误1–2天。",
        "answer": "同意，请帮我改地址。",
        "carrier": "改址申请已提交给{carrier}，正在等待确认。",
        "resolution": "{name}您好，订单{posting}的地址已修改，承运商已确认改派到{new_flat}号公寓。",
        "thanks": "已经在新地址收到包裹，谢谢！",
        "followup": "地址改好了吗？快递员可能会送到旧地址。",
    },
    "tracking_number": {
        "subject": ["物流单号查不到", "订单{posting}的单号不对"],
        "opener": "你好！订单{posting}的物流单号{old_number}在承运商网站上查了三天都查不到，包裹到底发出去了吗？",
        "ack": "{name}您好，我们核实后发现卖家上传单号时填错了。正确单号是{new_number}（{carrier}），我们已在订单中更正，"
               "包裹正在运输中。",
        "question": "请确认一下，现在在个人中心能看到单号{new_number}的物流信息吗？",
        "answer": "可以看到了，谢谢。",
        "carrier": "我们正在向{carrier}核实为什么单号{new_number}还没有物流记录。",
        "resolution": "{name}您好，订单中的单号已更正为{new_number}，物流信息可以正常查询。如有问题请随时联系我们。",
        "thanks": "谢谢，包裹已经收到了。",
        "followup": "单号还是查不到。",
    },
    "product_question": {
        "subject": ["关于商品的问题", "购买前咨询：{product}"],
        "opener": "你好，请问「{product}」的具体尺寸和重量是多少？有中文或俄语说明书吗？保修多久？",
        "ack": "{name}您好，尺寸和重量在商品页面的「规格参数」里可以看到。包装里有俄语和中文说明书，厂家保修12个月。",
        "question": "请问您买这个商品主要做什么用？我们帮您确认是否合适。",
        "answer": "想送给妈妈，所以需要中文说明书和好看的包装。",
        "carrier": "我们正在向厂家确认，一天内回复您。",
        "resolution": "{name}您好，这款商品很适合送礼：有中文说明书，原厂礼盒包装。如果还有其他问题，欢迎随时联系我们！",
        "thanks": "谢谢详细的解答！",
        "followup": "请问有结果了吗？",
    },
    "other": {
        "subject": ["需要订单{posting}的单据", "请开具公司抬头的发票"],
        "opener": "你好！我买的{product}是公司用的，需要订单{posting}的收据和公司抬头的发票，公司信息发到哪里？",
        "ack": "{name}您好，请直接回复本消息，提供公司信息（INN税号、KPP、注册地址）。",
        "question": "请提供公司信息：INN、KPP和注册地址。",
        "answer": "公司：OOO「龙腾贸易」，INN 7705123456，KPP 770501001，莫斯科列宁大街1号。",
        "carrier": "我们已向平台财务部门申请开具单据，正在等待回复。",
        "resolution": "{name}您好，订单{posting}的单据已发送到您的邮箱，原件将通过俄罗斯邮政寄出。",
        "thanks": "收到单据了，谢谢！",
        "followup": "单据还没有收到。",
    },
}
