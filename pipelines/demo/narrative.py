"""Narrative sections 一–六 with varied sentences (synthetic; never presented as real)."""

from __future__ import annotations

import random

OPENINGS = [
    "{year}年，{name}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，持续深化政务公开工作。",
    "{year}年，{name}紧紧围绕中心工作，把政务公开作为建设法治政府、服务型政府的重要抓手，不断提升政府信息公开质量。",
    "{year}年，{name}按照自治区和{league}政务公开工作部署，健全制度机制，推动政府信息公开工作规范有序开展。",
    "{year}年，{name}以群众需求为导向，聚焦重点领域信息公开，积极回应社会关切，政务公开工作取得新进展。",
]
ACTIVE = [
    "（一）主动公开情况。通过政府门户网站、政务新媒体等渠道主动公开政府信息{items}条，其中政策文件{policy}条。",
    "（一）主动公开。全年累计发布各类政府信息{items}条，及时公开财政预决算、重大项目、民生保障等重点领域信息。",
    "（一）主动公开方面。围绕优化营商环境和乡村振兴，主动公开信息{items}条，集中公开现行有效规范性文件。",
]
REQUESTS = [
    "（二）依申请公开情况。全年共收到政府信息公开申请{new}件，均在法定期限内答复。",
    "（二）依申请公开。进一步规范受理、办理、答复流程，本年度共受理政府信息公开申请{new}件，按时办结率100%。",
    "（二）依申请公开方面。畅通线上线下申请渠道，全年新收政府信息公开申请{new}件，依法依规予以答复。",
]
MANAGEMENT = [
    "（三）政府信息管理。严格落实信息发布“三审”制度，加强公开前保密审查，全年未发生泄密事件。",
    "（三）政府信息管理。动态更新政府信息公开指南和目录，开展规范性文件清理，及时标注失效文件。",
    "（三）政府信息管理方面。建立信息发布台账，规范发布流程，确保公开信息准确、完整、及时。",
]
PLATFORM = [
    "（四）平台建设。优化政府门户网站政府信息公开专栏，整合政务新媒体账号，提升平台集约化水平。",
    "（四）政府信息公开平台建设。完善网站智能检索和互动功能，推进政务公开专区标准化建设。",
]
SUPERVISION = [
    "（五）监督保障。将政务公开纳入年度绩效考核，开展季度检查通报，未发生责任追究情形。",
    "（五）监督保障方面。组织业务培训{training}次，主动接受社会评议，推动问题整改落实。",
]
PROBLEMS = [
    "一是重点领域信息公开深度不够；二是政策解读形式较为单一；三是基层公开工作人员业务能力有待提升。下一步，将加强培训指导，丰富解读形式，持续提升公开质量。",
    "主要问题：部分栏目更新不及时，依申请公开答复规范化水平仍需提高。改进措施：建立栏目更新提醒机制，规范答复文书，加强法律审核。",
    "存在的不足：政务新媒体互动回应不够及时，公开内容的可读性有待增强。下一步将完善回应机制，推出图解、短视频等多样化解读产品。",
]
OTHER = [
    "（一）收费情况：{year}年，未收取信息处理费。（二）落实上级年度政务公开工作要点情况：已按要求逐项落实。",
    "本年度未发出收费通知，未收取信息处理费。",
    "{year}年度无其他需要报告的事项；未收取信息处理费。",
]


def sections(rng: random.Random, name: str, league: str, year: int, new_requests: int) -> dict[str, list[str]]:
    ctx = {
        "name": name,
        "league": league,
        "year": year,
        "new": new_requests,
        "items": rng.randint(300, 6000),
        "policy": rng.randint(20, 400),
        "training": rng.randint(1, 6),
    }
    return {
        "一": [
            rng.choice(OPENINGS).format(**ctx),
            rng.choice(ACTIVE).format(**ctx),
            rng.choice(REQUESTS).format(**ctx),
            rng.choice(MANAGEMENT),
            rng.choice(PLATFORM),
            rng.choice(SUPERVISION).format(**ctx),
        ],
        "五": [rng.choice(PROBLEMS)],
        "六": [rng.choice(OTHER).format(**ctx)],
    }


CONTRADICTION_SIX = "{year}年，我单位未收到和处理政府信息公开申请，未收取信息处理费。"
