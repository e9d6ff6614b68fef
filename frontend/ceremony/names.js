// Delegation names and flags on the ceremony pages, in one place so translations of names
// (the delegation's own `names`) and an embedded flag set can slot in later.
import { localName, t } from '../lib/i18n.js';

// ISO 3166-1 alpha-3 to alpha-2 (from Debian's iso-codes), then sports codes that differ.
const ISO3 = 'ABWAW,AFGAF,AGOAO,AIAAI,ALAAX,ALBAL,ANDAD,AREAE,ARGAR,ARMAM,ASMAS,ATAAQ,ATFTF,ATGAG,AUSAU,AUTAT,AZEAZ,BDIBI,BELBE,BENBJ,BESBQ,BFABF,BGDBD,BGRBG,BHRBH,BHSBS,BIHBA,BLMBL,BLRBY,BLZBZ,BMUBM,BOLBO,BRABR,BRBBB,BRNBN,BTNBT,BVTBV,BWABW,CAFCF,CANCA,CCKCC,CHECH,CHLCL,CHNCN,CIVCI,CMRCM,CODCD,COGCG,COKCK,COLCO,COMKM,CPVCV,CRICR,CUBCU,CUWCW,CXRCX,CYMKY,CYPCY,CZECZ,DEUDE,DJIDJ,DMADM,DNKDK,DOMDO,DZADZ,ECUEC,EGYEG,ERIER,ESHEH,ESPES,ESTEE,ETHET,FINFI,FJIFJ,FLKFK,FRAFR,FROFO,FSMFM,GABGA,GBRGB,GEOGE,GGYGG,GHAGH,GIBGI,GINGN,GLPGP,GMBGM,GNBGW,GNQGQ,GRCGR,GRDGD,GRLGL,GTMGT,GUFGF,GUMGU,GUYGY,HKGHK,HMDHM,HNDHN,HRVHR,HTIHT,HUNHU,IDNID,IMNIM,INDIN,IOTIO,IRLIE,IRNIR,IRQIQ,ISLIS,ISRIL,ITAIT,JAMJM,JEYJE,JORJO,JPNJP,KAZKZ,KENKE,KGZKG,KHMKH,KIRKI,KNAKN,KORKR,KWTKW,LAOLA,LBNLB,LBRLR,LBYLY,LCALC,LIELI,LKALK,LSOLS,LTULT,LUXLU,LVALV,MACMO,MAFMF,MARMA,MCOMC,MDAMD,MDGMG,MDVMV,MEXMX,MHLMH,MKDMK,MLIML,MLTMT,MMRMM,MNEME,MNGMN,MNPMP,MOZMZ,MRTMR,MSRMS,MTQMQ,MUSMU,MWIMW,MYSMY,MYTYT,NAMNA,NCLNC,NERNE,NFKNF,NGANG,NICNI,NIUNU,NLDNL,NORNO,NPLNP,NRUNR,NZLNZ,OMNOM,PAKPK,PANPA,PCNPN,PERPE,PHLPH,PLWPW,PNGPG,POLPL,PRIPR,PRKKP,PRTPT,PRYPY,PSEPS,PYFPF,QATQA,REURE,ROURO,RUSRU,RWARW,SAUSA,SDNSD,SENSN,SGPSG,SGSGS,SHNSH,SJMSJ,SLBSB,SLESL,SLVSV,SMRSM,SOMSO,SPMPM,SRBRS,SSDSS,STPST,SURSR,SVKSK,SVNSI,SWESE,SWZSZ,SXMSX,SYCSC,SYRSY,TCATC,TCDTD,TGOTG,THATH,TJKTJ,TKLTK,TKMTM,TLSTL,TONTO,TTOTT,TUNTN,TURTR,TUVTV,TWNTW,TZATZ,UGAUG,UKRUA,UMIUM,URYUY,USAUS,UZBUZ,VATVA,VCTVC,VENVE,VGBVG,VIRVI,VNMVN,VUTVU,WLFWF,WSMWS,YEMYE,ZAFZA,ZMBZM,ZWEZW';
const SPORT = 'ALGDZ,ANGAO,BANBD,BRUBN,BULBG,CHICL,CROHR,DENDK,ENGGB,GERDE,GREGR,HKGHK,INAID,IRIIR,KSASA,KUWKW,LATLV,MACMO,MASMY,MGLMN,MRIMU,NEDNL,NEPNP,NGRNG,PARPY,PHIPH,PORPT,RSAZA,SLOSI,SRILK,SUICH,TPETW,UAEAE,URUUY,VIEVN,ZIMZW';
const ALPHA2 = new Map();
for (const item of `${ISO3},${SPORT}`.split(',')) ALPHA2.set(item.slice(0, 3), item.slice(3));

/** A flag emoji for a delegation code that maps to a country (2 or 3 letters), else ''. */
export function flag(code) {
  const upper = String(code || '').toUpperCase();
  const alpha2 = upper.length === 2 ? upper : ALPHA2.get(upper);
  if (!alpha2 || !/^[A-Z]{2}$/.test(alpha2)) return '';
  return String.fromCodePoint(...[...alpha2].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** The delegation's name in the page's language (its default name otherwise). */
export function delegationName(winner) {
  return localName(winner.delegation_names || {}, winner.delegation_name || winner.delegation);
}

/** The badge beside a winner: the flag, or the code where none maps. */
export function badge(winner) {
  return flag(winner.delegation) || winner.delegation;
}

/** "CHN — Wang Wei, Li Na" */
export function winnerLine(winner) {
  const people = (winner.members || []).join(', ');
  return people ? `${winner.delegation} — ${people}` : winner.delegation;
}

export function medalLabel(medal) {
  return t(`medal.${medal}`);
}

/** The presenter's cue: "Next: Gold in Welding, CHN — Wang Wei". */
export function cue(step) {
  if (!step) return t('ceremony.cue_end');
  const winners = step.winners.map(winnerLine).join('; ');
  return t('ceremony.cue', { medal: medalLabel(step.medal), skill: step.skill_name, winners });
}
