<?xml version="1.0" encoding="UTF-8"?>
<!--
  The paper notice (协助执行通知书 and its kin) rendered from an AssistanceRequest.
  Run by hub/standard/notice.py, which supplies the parameters and the h: functions
  (labels of the code lists, dates as people write them, amounts). Every text of the
  request goes through xsl:value-of, so the HTML output method escapes it.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:e="urn:linkage-hub:enforcement:1.0"
    xmlns:h="urn:linkage-hub:notice"
    exclude-result-prefixes="e h">
  <xsl:output method="html" encoding="UTF-8" indent="no"/>

  <xsl:param name="title"/>
  <xsl:param name="unit_name"/>
  <xsl:param name="court_name"/>

  <xsl:variable name="r" select="/e:AssistanceRequest"/>
  <xsl:variable name="action" select="normalize-space($r/e:Action)"/>
  <xsl:variable name="case_no" select="normalize-space($r/e:CaseNo)"/>
  <!-- the court as the directory names it: the document's own <Court> text is the sender's word -->
  <xsl:variable name="court" select="$court_name"/>
  <xsl:variable name="name" select="normalize-space($r/e:Subject/e:Name)"/>
  <xsl:variable name="verb" select="h:label('Action', $action)"/>
  <!-- a transfer's amount is the price of the sale or the value taken for the debt, not an amount controlled -->
  <xsl:variable name="amount_label">
    <xsl:choose>
      <xsl:when test="$action = 'TRANSFER'">成交或抵债价款</xsl:when>
      <xsl:otherwise><xsl:value-of select="concat($verb, '金额')"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="opening" select="concat('本院在执行', $case_no, '一案中，')"/>

  <xsl:template match="/">
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="concat($title, ' ', normalize-space($r/e:RequestNo))"/></title>
        <style>
@page { size: A4; margin: 22mm 20mm; }
body { margin: 0; background: #eee; color: #000; line-height: 1.8; font-size: 16px;
  font-family: "FangSong", "STFangsong", "仿宋", "SimSun", "Songti SC", serif; }
.notice { box-sizing: border-box; max-width: 190mm; margin: 16px auto; padding: 16mm 18mm; background: #fff; }
h1, h2 { text-align: center; margin: 0; font-family: "SimHei", "Heiti SC", "黑体", sans-serif; }
h1 { font-size: 22px; letter-spacing: .2em; }
h2 { font-size: 26px; letter-spacing: .3em; margin-bottom: 8px; }
h3 { font-size: 16px; margin: 18px 0 4px; font-family: "SimHei", "Heiti SC", "黑体", sans-serif; }
h4 { font-size: 16px; margin: 10px 0 2px; font-weight: normal; }
p { margin: 4px 0; }
.request-no, .case-no, .court-sign, .date { text-align: right; }
.request-no { font-size: 12px; color: #444; }
.addressee { margin-top: 14px; }
.intro { text-indent: 2em; }
table.fields { border-collapse: collapse; width: 100%; }
table.fields th, table.fields td { border: 1px solid #888; padding: 2px 8px; text-align: left; vertical-align: top; }
table.fields th { width: 8em; white-space: nowrap; font-weight: normal; background: #f5f5f5; }
ol { margin: 4px 0; padding-left: 2em; }
.court-sign { margin-top: 28px; }
.footnote { margin-top: 24px; padding-top: 4px; border-top: 1px solid #ccc; font-size: 12px; color: #555; }
@media print {
  body { background: #fff; }
  .notice { margin: 0; padding: 0; max-width: none; }
  .no-print { display: none; }
}
        </style>
      </head>
      <body>
        <main class="notice">
          <p class="request-no">请求编号：<xsl:value-of select="normalize-space($r/e:RequestNo)"/></p>
          <h1><xsl:value-of select="$court"/></h1>
          <h2><xsl:value-of select="$title"/></h2>
          <p class="case-no"><xsl:value-of select="$case_no"/></p>
          <p class="addressee gap"><xsl:value-of select="$unit_name"/>：</p>
          <p class="intro"><xsl:call-template name="intro"/></p>

          <h3>被执行人</h3>
          <table class="fields">
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'姓名或名称'"/>
              <xsl:with-param name="td" select="$name"/>
            </xsl:call-template>
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'主体类型'"/>
              <xsl:with-param name="td" select="h:label('SubjectKind', $r/e:Subject/@kind)"/>
            </xsl:call-template>
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'证件类型'"/>
              <xsl:with-param name="td" select="h:label('IdType', normalize-space($r/e:Subject/e:IdType))"/>
            </xsl:call-template>
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'证件号码'"/>
              <xsl:with-param name="td" select="normalize-space($r/e:Subject/e:IdNumber)"/>
            </xsl:call-template>
          </table>

          <xsl:if test="$r/e:Items/e:Item">
            <h3>协助事项</h3>
            <xsl:apply-templates select="$r/e:Items/e:Item"/>
          </xsl:if>

          <xsl:if test="normalize-space($r/e:Remarks)">
            <h3>备注</h3>
            <p><xsl:value-of select="normalize-space($r/e:Remarks)"/></p>
          </xsl:if>

          <h3>法律依据</h3>
          <p><xsl:call-template name="basis"/></p>

          <h3>附件</h3>
          <ol>
            <xsl:for-each select="$r/e:Documents/e:Document">
              <li>
                <xsl:value-of select="concat(h:label('DocumentType', @type), '（', @filename, '）')"/>
              </li>
            </xsl:for-each>
          </ol>

          <p class="gap">
            <xsl:choose>
              <xsl:when test="$action = 'CREDIT_NOTICE'">特此通报。</xsl:when>
              <xsl:otherwise>特此通知。</xsl:otherwise>
            </xsl:choose>
          </p>

          <h3>承办人</h3>
          <table class="fields">
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'姓名'"/>
              <xsl:with-param name="td" select="normalize-space($r/e:Officer)"/>
            </xsl:call-template>
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'执行公务证号'"/>
              <xsl:with-param name="td" select="$r/e:Officer/@credentialNo"/>
            </xsl:call-template>
            <xsl:call-template name="row">
              <xsl:with-param name="th" select="'联系电话'"/>
              <xsl:with-param name="td" select="$r/e:Officer/@phone"/>
            </xsl:call-template>
          </table>

          <p class="court-sign gap"><xsl:value-of select="$court"/></p>
          <p class="date"><xsl:value-of select="h:date(normalize-space($r/e:IssuedAt))"/></p>

          <p class="footnote gap">
            <xsl:value-of select="concat('本通知书由执行联动平台依据', $court, '提交的请求文书（请求编号 ',
                normalize-space($r/e:RequestNo), '）生成')"/>
            <xsl:if test="$r/*[local-name() = 'Signature']">，原文书附有法院电子签名</xsl:if>
            <xsl:text>。</xsl:text>
          </p>
        </main>
      </body>
    </html>
  </xsl:template>

  <!-- What is asked, in the words of the paper notice. -->
  <xsl:template name="intro">
    <xsl:value-of select="$opening"/>
    <xsl:choose>
      <xsl:when test="$action = 'QUERY'">
        <xsl:value-of select="concat('请你单位协助查询被执行人', $name,
            '在你单位登记、管理的财产及其权利状况，并在规定期限内回复查询结果。')"/>
      </xsl:when>
      <xsl:when test="$action = 'PRE_SEAL'">
        <xsl:value-of select="concat('依法作出执行裁定，请你单位对被执行人', $name,
            '已购买或已缴纳价款、尚未登记在其名下的下列财产办理预查封登记，协助事项见下。',
            '预查封期间该财产登记在被执行人名下的，预查封登记自动转为查封登记，查封期限自预查封之日起计算，请将转为查封的情况告知本院。')"/>
      </xsl:when>
      <xsl:when test="$action = 'TRANSFER'">
        <xsl:value-of select="concat('依法作出的拍卖、变卖成交裁定或以物抵债裁定已经发生法律效力。请你单位协助将被执行人', $name,
            '名下的下列财产过户（办理转移登记）至受让人名下；本院对该财产的查封（扣押、冻结）随之解除，协助事项见下。')"/>
      </xsl:when>
      <xsl:when test="$action = 'SEAL' or $action = 'SEIZE' or $action = 'FREEZE'">
        <xsl:value-of select="concat('依法作出执行裁定，请你单位协助', $verb, '被执行人', $name, '名下的财产，协助事项见下。')"/>
      </xsl:when>
      <xsl:when test="$action = 'DEDUCT'">
        <xsl:value-of select="concat('依法作出执行裁定，请你单位协助扣划被执行人', $name, '名下的款项，协助事项见下。')"/>
      </xsl:when>
      <xsl:when test="$action = 'RENEW'">
        <xsl:value-of select="concat('依法作出执行裁定，请你单位对被执行人', $name,
            '名下的财产续行查封（扣押、冻结），续行期限自原期限届满次日起计算，协助事项见下。')"/>
      </xsl:when>
      <xsl:when test="$action = 'RELEASE'">
        <xsl:value-of select="concat('依法作出执行裁定，请你单位协助解除对被执行人', $name,
            '名下财产采取的查封（扣押、冻结）措施，协助事项见下。')"/>
      </xsl:when>
      <xsl:when test="$action = 'LOCATE_PERSON'">
        <xsl:value-of select="concat('需查找被执行人', $name,
            '的下落。请你单位协助查找，并在规定期限内回复是否找到、现住址、查找日期及情况说明。')"/>
      </xsl:when>
      <xsl:when test="$action = 'CREDIT_NOTICE'">
        <xsl:value-of select="concat('被执行人', $name,
            '未履行生效法律文书确定的义务，已被依法纳入失信被执行人名单。现予通报，请你单位依照联合惩戒的有关规定办理，并回复收悉。')"/>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="basis">
    <xsl:choose>
      <xsl:when test="$action = 'CREDIT_NOTICE'">
        <xsl:text>《最高人民法院关于公布失信被执行人名单信息的若干规定》的有关规定。</xsl:text>
      </xsl:when>
      <xsl:when test="$action = 'QUERY' or $action = 'LOCATE_PERSON'">
        <xsl:text>《中华人民共和国民事诉讼法》关于协助执行的有关规定。</xsl:text>
      </xsl:when>
      <xsl:when test="$action = 'TRANSFER'">
        <xsl:value-of select="concat('《中华人民共和国民事诉讼法》关于协助办理财产权证照转移手续的有关规定；本院', $case_no,
            '已发生法律效力的拍卖、变卖成交裁定书或以物抵债裁定书（见附件）。')"/>
      </xsl:when>
      <xsl:when test="$action = 'PRE_SEAL'">
        <xsl:value-of select="concat('《中华人民共和国民事诉讼法》关于协助执行的有关规定；本院', $case_no, '执行裁定书（见附件）。',
            '预查封及其期限依照《最高人民法院、国土资源部、建设部关于依法规范人民法院执行和国土资源房地产管理部门协助执行若干问题的通知》的有关规定确定。')"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="concat('《中华人民共和国民事诉讼法》关于协助执行的有关规定；本院', $case_no, '执行裁定书（见附件）。')"/>
        <xsl:if test="$r/e:Items/e:Item/e:Period">
          <xsl:text>控制期限依照《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第四百八十五条确定。</xsl:text>
        </xsl:if>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="e:Item">
    <h4><xsl:value-of select="concat('第', position(), '项')"/></h4>
    <table class="fields">
      <xsl:call-template name="row">
        <xsl:with-param name="th" select="'财产类别'"/>
        <xsl:with-param name="td" select="h:label('AssetClass', normalize-space(e:AssetClass))"/>
      </xsl:call-template>
      <xsl:call-template name="row">
        <xsl:with-param name="th" select="h:asset_id_label(normalize-space(e:AssetClass))"/>
        <xsl:with-param name="td" select="normalize-space(e:AssetId)"/>
      </xsl:call-template>
      <xsl:call-template name="row">
        <xsl:with-param name="th" select="'财产说明'"/>
        <xsl:with-param name="td" select="normalize-space(e:Description)"/>
      </xsl:call-template>
      <xsl:if test="e:Amount">
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="$amount_label"/>
          <xsl:with-param name="td" select="h:money(normalize-space(e:Amount), string(e:Amount/@currency))"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="e:Period">
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="concat($verb, '期限')"/>
          <xsl:with-param name="td" select="concat(h:date(e:Period/@start), '至', h:date(e:Period/@end))"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="e:Flexible">
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="'活封保管人'"/>
          <xsl:with-param name="td" select="e:Flexible/@custodian"/>
        </xsl:call-template>
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="'允许使用'"/>
          <xsl:with-param name="td" select="e:Flexible/@permittedUse"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="e:Original">
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="'原请求编号'"/>
          <xsl:with-param name="td" select="e:Original/@requestNo"/>
        </xsl:call-template>
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="'原登记编号'"/>
          <xsl:with-param name="td" select="e:Original/@registrationNo"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:for-each select="e:Transferee">
        <xsl:call-template name="row">
          <xsl:with-param name="th" select="'受让人'"/>
          <xsl:with-param name="td" select="concat(normalize-space(e:Name), '（', h:label('SubjectKind', @kind), '，',
              h:label('IdType', normalize-space(e:IdType)), ' ', normalize-space(e:IdNumber),
              substring(concat('，份额 ', @share), 1, 40 * boolean(@share)), '）')"/>
        </xsl:call-template>
      </xsl:for-each>
    </table>
  </xsl:template>

  <!-- One "label: value" row, left out when the value is empty. -->
  <xsl:template name="row">
    <xsl:param name="th"/>
    <xsl:param name="td"/>
    <xsl:if test="normalize-space($td)">
      <tr><th><xsl:value-of select="$th"/></th><td><xsl:value-of select="normalize-space($td)"/></td></tr>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
