<?xml version="1.0" encoding="UTF-8"?>
<!--
  hostdev-preflight: normalize the PCI host devices of a libvirt domain.

  Usable on its own:  xsltproc [-\-stringparam libvirt-compat yes] normalize.xsl vm.xml
  (hostdev-preflight then writes the result in libvirt's own style, with
  single-quoted attributes and two-space indentation; xsltproc writes the same
  tree in libxml2's style.)

  - <hostdev mode='subsystem' type='pci'>: attributes mode type managed
    assigned, managed always written; children driver, source, teaming, boot,
    alias, rom, acpi, guest address, then anything else; both spellings of
    "not given to the guest" become assigned='no' (or, with libvirt-compat,
    <address type='unassigned'/> and no assigned attribute nor driver model).
  - PCI addresses of host devices (and of <interface type='hostdev'>) are
    written domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'.
  - Everything else is copied as it is.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" encoding="UTF-8" indent="yes" omit-xml-declaration="yes"/>

  <xsl:param name="libvirt-compat" select="'no'"/>
  <xsl:variable name="compat" select="$libvirt-compat = 'yes' or $libvirt-compat = '1'"/>

  <xsl:template match="@*|node()">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <xsl:template match="/domain/devices/hostdev[(not(@mode) or @mode = 'subsystem') and @type = 'pci']">
    <xsl:variable name="unassigned" select="@assigned = 'no' or address/@type = 'unassigned'"/>
    <hostdev mode="subsystem" type="pci">
      <xsl:attribute name="managed">
        <xsl:choose>
          <xsl:when test="@managed = 'yes'">yes</xsl:when>
          <xsl:otherwise>no</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="$unassigned and not($compat)">
        <xsl:attribute name="assigned">no</xsl:attribute>
      </xsl:if>
      <xsl:apply-templates select="@*[not(name() = 'mode' or name() = 'type' or name() = 'managed' or name() = 'assigned')]"/>
      <xsl:apply-templates select="comment() | processing-instruction()"/>
      <xsl:apply-templates select="driver" mode="hostdev"/>
      <xsl:apply-templates select="source" mode="hostdev"/>
      <xsl:apply-templates select="teaming"/>
      <xsl:apply-templates select="boot"/>
      <xsl:apply-templates select="alias"/>
      <xsl:apply-templates select="rom"/>
      <xsl:apply-templates select="acpi"/>
      <xsl:choose>
        <xsl:when test="$unassigned and $compat">
          <address type="unassigned"/>
        </xsl:when>
        <xsl:when test="$unassigned"/>
        <xsl:otherwise>
          <xsl:apply-templates select="address" mode="guest"/>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:apply-templates select="*[not(self::driver or self::source or self::teaming or self::boot or self::alias or self::rom or self::acpi or self::address)]"/>
    </hostdev>
  </xsl:template>

  <xsl:template match="driver" mode="hostdev">
    <!-- libvirt's <driver> needs name=: in compat form one with only model= goes -->
    <xsl:if test="not($compat) or @*[name() != 'model']">
      <driver>
        <xsl:apply-templates select="@name"/>
        <xsl:if test="not($compat)">
          <xsl:apply-templates select="@model"/>
        </xsl:if>
        <xsl:apply-templates select="@*[not(name() = 'name' or name() = 'model')]"/>
      </driver>
    </xsl:if>
  </xsl:template>

  <xsl:template match="source" mode="hostdev">
    <source>
      <xsl:apply-templates select="@*"/>
      <xsl:for-each select="address">
        <address>
          <xsl:call-template name="pci-fields"/>
          <xsl:apply-templates select="@*[not(name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function')]"/>
          <xsl:apply-templates select="*"/>
        </address>
      </xsl:for-each>
      <xsl:apply-templates select="*[not(self::address)]"/>
    </source>
  </xsl:template>

  <xsl:template match="address" mode="guest">
    <xsl:choose>
      <xsl:when test="@type = 'pci'">
        <address type="pci">
          <xsl:call-template name="pci-fields"/>
          <xsl:apply-templates select="@multifunction"/>
          <xsl:apply-templates select="@*[not(name() = 'type' or name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function' or name() = 'multifunction')]"/>
          <xsl:apply-templates select="*"/>
        </address>
      </xsl:when>
      <xsl:otherwise>
        <!-- another bus (ccw, spapr-vio, ...): as written -->
        <xsl:copy-of select="."/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- <interface type='hostdev'>: its PCI addresses in the same form -->
  <xsl:template match="/domain/devices/interface[@type = 'hostdev']/source/address[@type = 'pci']">
    <address type="pci">
      <xsl:call-template name="pci-fields"/>
      <xsl:apply-templates select="@*[not(name() = 'type' or name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function')]"/>
      <xsl:apply-templates select="node()"/>
    </address>
  </xsl:template>

  <xsl:template match="/domain/devices/interface[@type = 'hostdev']/address">
    <xsl:apply-templates select="." mode="guest"/>
  </xsl:template>

  <!-- domain bus slot function of the context <address>, absent ones as 0 -->
  <xsl:template name="pci-fields">
    <xsl:attribute name="domain">
      <xsl:call-template name="hex">
        <xsl:with-param name="value" select="@domain"/>
        <xsl:with-param name="width" select="4"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="bus">
      <xsl:call-template name="hex">
        <xsl:with-param name="value" select="@bus"/>
        <xsl:with-param name="width" select="2"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="slot">
      <xsl:call-template name="hex">
        <xsl:with-param name="value" select="@slot"/>
        <xsl:with-param name="width" select="2"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="function">
      <xsl:call-template name="hex">
        <xsl:with-param name="value" select="@function"/>
        <xsl:with-param name="width" select="1"/>
      </xsl:call-template>
    </xsl:attribute>
  </xsl:template>

  <!-- a number as libvirt reads it (decimal, 0x hex, leading-zero octal),
       written as 0x and at least WIDTH lowercase hex digits -->
  <xsl:template name="hex">
    <xsl:param name="value"/>
    <xsl:param name="width"/>
    <xsl:variable name="n">
      <xsl:call-template name="parse-number">
        <xsl:with-param name="s" select="normalize-space($value)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="digits">
      <xsl:call-template name="to-hex">
        <xsl:with-param name="n" select="number($n)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:value-of select="concat('0x', substring('0000', 1, $width - string-length($digits)), $digits)"/>
  </xsl:template>

  <xsl:template name="parse-number">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="$s = ''">0</xsl:when>
      <xsl:when test="starts-with($s, '0x') or starts-with($s, '0X')">
        <xsl:call-template name="digits">
          <xsl:with-param name="s" select="substring($s, 3)"/>
          <xsl:with-param name="base" select="16"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="starts-with($s, '0')">
        <xsl:call-template name="digits">
          <xsl:with-param name="s" select="substring($s, 2)"/>
          <xsl:with-param name="base" select="8"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="digits">
          <xsl:with-param name="s" select="$s"/>
          <xsl:with-param name="base" select="10"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="digits">
    <xsl:param name="s"/>
    <xsl:param name="base"/>
    <xsl:param name="acc" select="0"/>
    <xsl:choose>
      <xsl:when test="$s = ''">
        <xsl:value-of select="$acc"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="d" select="string-length(substring-before('0123456789abcdef', translate(substring($s, 1, 1), 'ABCDEF', 'abcdef')))"/>
        <xsl:call-template name="digits">
          <xsl:with-param name="s" select="substring($s, 2)"/>
          <xsl:with-param name="base" select="$base"/>
          <xsl:with-param name="acc" select="$acc * $base + $d"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="to-hex">
    <xsl:param name="n"/>
    <xsl:if test="$n &gt;= 16">
      <xsl:call-template name="to-hex">
        <xsl:with-param name="n" select="floor($n div 16)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:value-of select="substring('0123456789abcdef', ($n mod 16) + 1, 1)"/>
  </xsl:template>
</xsl:stylesheet>
