// Names in the viewer's language, shared by every page (boards, tablets, ceremony, documents):
// things carry a default `name` (an aspect its `description`) and optional translations
// `names: {zh, ru, en}`; the page's language picks one, the default stands in for the rest.
import { h } from './dom.js';
import { lang as pageLanguage } from './i18n.js';

/**
 * `obj`'s name in `language` (the page's by default), else its default name (or description),
 * else `fallback` (its code unless given).
 */
export function localName(obj, language = pageLanguage(), fallback = obj?.code || '') {
  if (!obj) return fallback || '';
  const translated = obj.names && obj.names[language];
  return translated || obj.name || obj.description || fallback || '';
}

/**
 * A delegation's badge on documents: its code on a neutral plate (printed documents use no
 * emoji: a printer's machine may lack the font). Screens use `flagEmoji`.
 */
export function flag(code) {
  return h('span', { class: 'flag flag-neutral', dataset: { delegation: code || '' }, 'aria-hidden': 'true' }, code || '');
}

// ISO 3166-1 alpha-3 to alpha-2 (from Debian's iso-codes), then sports codes that differ.
const ISO3 = 'ABWAW,AFGAF,AGOAO,AIAAI,ALAAX,ALBAL,ANDAD,AREAE,ARGAR,ARMAM,ASMAS,ATAAQ,ATFTF,ATGAG,AUSAU,AUTAT,AZEAZ,BDIBI,BELBE,BENBJ,BESBQ,BFABF,BGDBD,BGRBG,BHRBH,BHSBS,BIHBA,BLMBL,BLRBY,BLZBZ,BMUBM,BOLBO,BRABR,BRBBB,BRNBN,BTNBT,BVTBV,BWABW,CAFCF,CANCA,CCKCC,CHECH,CHLCL,CHNCN,CIVCI,CMRCM,CODCD,COGCG,COKCK,COLCO,COMKM,CPVCV,CRICR,CUBCU,CUWCW,CXRCX,CYMKY,CYPCY,CZECZ,DEUDE,DJIDJ,DMADM,DNKDK,DOMDO,DZADZ,ECUEC,EGYEG,ERIER,ESHEH,ESPES,ESTEE,ETHET,FINFI,FJIFJ,FLKFK,FRAFR,FROFO,FSMFM,GABGA,GBRGB,GEOGE,GGYGG,GHAGH,GIBGI,GINGN,GLPGP,GMBGM,GNBGW,GNQGQ,GRCGR,GRDGD,GRLGL,GTMGT,GUFGF,GUMGU,GUYGY,HKGHK,HMDHM,HNDHN,HRVHR,HTIHT,HUNHU,IDNID,IMNIM,INDIN,IOTIO,IRLIE,IRNIR,IRQIQ,ISLIS,ISRIL,ITAIT,JAMJM,JEYJE,JORJO,JPNJP,KAZKZ,KENKE,KGZKG,KHMKH,KIRKI,KNAKN,KORKR,KWTKW,LAOLA,LBNLB,LBRLR,LBYLY,LCALC,LIELI,LKALK,LSOLS,LTULT,LUXLU,LVALV,MACMO,MAFMF,MARMA,MCOMC,MDAMD,MDGMG,MDVMV,MEXMX,MHLMH,MKDMK,MLIML,MLTMT,MMRMM,MNEME,MNGMN,MNPMP,MOZMZ,MRTMR,MSRMS,MTQMQ,MUSMU,MWIMW,MYSMY,MYTYT,NAMNA,NCLNC,NERNE,NFKNF,NGANG,NICNI,NIUNU,NLDNL,NORNO,NPLNP,NRUNR,NZLNZ,OMNOM,PAKPK,PANPA,PCNPN,PERPE,PHLPH,PLWPW,PNGPG,POLPL,PRIPR,PRKKP,PRTPT,PRYPY,PSEPS,PYFPF,QATQA,REURE,ROURO,RUSRU,RWARW,SAUSA,SDNSD,SENSN,SGPSG,SGSGS,SHNSH,SJMSJ,SLBSB,SLESL,SLVSV,SMRSM,SOMSO,SPMPM,SRBRS,SSDSS,STPST,SURSR,SVKSK,SVNSI,SWESE,SWZSZ,SXMSX,SYCSC,SYRSY,TCATC,TCDTD,TGOTG,THATH,TJKTJ,TKLTK,TKMTM,TLSTL,TONTO,TTOTT,TUNTN,TURTR,TUVTV,TWNTW,TZATZ,UGAUG,UKRUA,UMIUM,URYUY,USAUS,UZBUZ,VATVA,VCTVC,VENVE,VGBVG,VIRVI,VNMVN,VUTVU,WLFWF,WSMWS,YEMYE,ZAFZA,ZMBZM,ZWEZW';
const SPORT = 'ALGDZ,ANGAO,BANBD,BRUBN,BULBG,CHICL,CROHR,DENDK,ENGGB,GERDE,GREGR,HKGHK,INAID,IRIIR,KSASA,KUWKW,LATLV,MACMO,MASMY,MGLMN,MRIMU,NEDNL,NEPNP,NGRNG,PARPY,PHIPH,PORPT,RSAZA,SLOSI,SRILK,SUICH,TPETW,UAEAE,URUUY,VIEVN,ZIMZW';
const ALPHA2 = new Map();
for (const item of `${ISO3},${SPORT}`.split(',')) ALPHA2.set(item.slice(0, 3), item.slice(3));

/** A flag emoji for a delegation code that maps to a country (2 or 3 letters), else ''. */
export function flagEmoji(code) {
  const upper = String(code || '').toUpperCase();
  const alpha2 = upper.length === 2 ? upper : ALPHA2.get(upper);
  if (!alpha2 || !/^[A-Z]{2}$/.test(alpha2)) return '';
  return String.fromCodePoint(...[...alpha2].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}
